import { z } from 'zod';
import { LIMITS, optionalText } from './limits.js';
import { contextArg, required } from './arguments.js';
import { consultingTool } from './consulting.js';

export const spec = consultingTool({
  name: 'spec',
  title: 'Spec',
  family: 'spec',
  phase: 'spec',
  discipline: 'spec',
  description: 'Requirements to spec: problem, measurable criteria, scope, approach, risks.',
  input: {
    requirements: required('requirements').describe('What is wanted, as asked.'),
    output_path: optionalText('output_path', LIMITS.pathChars).describe('Save the spec there.'),
    overwrite: z.boolean({ error: 'overwrite must be true or false' }).optional().describe('Replace an existing output_path.'),
    context: contextArg,
  },
  outputFile: 'output_path',
  fields: { requirements: 'Requirements', context: 'Context', output_path: 'Output path' },
});
