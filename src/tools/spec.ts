import { LIMITS, optionalText } from './limits.js';
import { required } from './arguments.js';
import { consultingTool } from './consulting.js';

export const spec = consultingTool({
  name: 'spec',
  family: 'spec',
  phase: 'spec',
  discipline: 'spec',
  description: 'Requirements to spec: problem, measurable criteria, constraints, scope, approach, risks.',
  input: { requirements: required('requirements'), output_path: optionalText('output_path', LIMITS.pathChars), context: optionalText('context') },
  fields: { requirements: 'Requirements', context: 'Context', output_path: 'Output path' },
});
