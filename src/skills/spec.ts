import { LIMITS, optionalText } from './limits.js';
import { codeArgs, commonArgs, present, projectRoot, required, type ConsultingSkill } from './skill.js';

export const spec: ConsultingSkill = {
  name: 'spec',
  family: 'spec',
  phase: 'spec',
  discipline: 'spec',
  description: 'Requirements to spec: problem, measurable criteria, constraints, scope, approach, risks.',
  inputSchema: {
    project_root: projectRoot,
    requirements: required('requirements'),
    output_path: optionalText('output_path', LIMITS.pathChars),
    context: optionalText('context'),
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { requirements: 'Requirements', context: 'Context', output_path: 'Output path' }),
};
