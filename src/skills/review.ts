import { z } from 'zod';
import { LIMITS, maxChars, maxEntries, optionalText } from './limits.js';
import { codeArgs, commonArgs, present, projectRoot, type ConsultingSkill } from './skill.js';

export const review: ConsultingSkill = {
  name: 'review',
  family: 'review',
  phase: 'review',
  discipline: 'review',
  description: 'Review code: security holes, swallowed errors, unchecked input, bugs; findings by severity with file:line.',
  inputSchema: {
    project_root: projectRoot,
    files: maxEntries(
      z
        .array(maxChars(z.string(), 'files[]', LIMITS.pathChars), { error: (i) => (i.input === undefined ? 'files is required' : 'files must be a list of paths') })
        .min(1, 'files must name at least one file'),
      'files',
      LIMITS.files,
    ).describe('Relative paths.'),
    context: optionalText('context'),
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { files: 'Files', context: 'Context' }),
  files: (args) => (args.files as string[]) ?? [],
};
