import { z } from 'zod';
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
    output_path: z.string().optional(),
    context: z.string().optional(),
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { requirements: 'Requirements', context: 'Context', output_path: 'Output path' }),
};
