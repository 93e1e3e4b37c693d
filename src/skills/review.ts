import { z } from 'zod';
import { codeArgs, commonArgs, present, projectRoot, type ConsultingSkill } from './skill.js';

export const review: ConsultingSkill = {
  name: 'review',
  family: 'review',
  phase: 'review',
  discipline: 'review',
  description: 'Review code: security holes, swallowed errors, unchecked input, bugs; findings by severity with file:line.',
  inputSchema: {
    project_root: projectRoot,
    files: z.array(z.string()).min(1).describe('Relative paths.'),
    context: z.string().optional(),
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { files: 'Files', context: 'Context' }),
  files: (args) => (args.files as string[]) ?? [],
};
