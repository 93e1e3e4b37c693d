import { LIMITS, optionalText } from './limits.js';
import { contextArg, required } from './arguments.js';
import { consultingTool } from './consulting.js';

export const spec = consultingTool({
  name: 'spec',
  title: 'Spec',
  family: 'spec',
  phase: 'spec',
  discipline: 'spec',
  description: 'Requirements to spec: problem, measurable criteria, constraints, scope, approach, risks.',
  input: { requirements: required('requirements').describe('What is wanted, as asked.'), output_path: optionalText('output_path', LIMITS.pathChars).describe('File to save the spec to (the bridge writes it).'), context: contextArg },
  fields: { requirements: 'Requirements', context: 'Context', output_path: 'Output path' },
});
