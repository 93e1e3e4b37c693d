import { z } from 'zod';
import { LIMITS, maxChars, maxEntries } from './limits.js';
import { panelArg, contextArg } from './arguments.js';
import { consultingTool } from './consulting.js';

export const review = consultingTool({
  name: 'review',
  title: 'Code review',
  family: 'review',
  phase: 'review',
  discipline: 'review',
  description: 'Review code: security holes, swallowed errors, unchecked input, bugs; findings by severity, file:line.',
  input: {
    files: maxEntries(
      z
        .array(maxChars(z.string(), 'files[]', LIMITS.pathChars), { error: (i) => (i.input === undefined ? 'files is required' : 'files must be a list of paths') })
        .min(1, 'files must name at least one file'),
      'files',
      LIMITS.files,
    ).describe('Relative paths.'),
    context: contextArg,
    panel: panelArg,
  },
  fields: { files: 'Files', context: 'Context' },
  fileArguments: ['files'],
});
