import { optionalText } from './limits.js';
import { codeArgs, commonArgs, present, projectRoot, required, type ConsultingSkill } from './skill.js';

export const debug: ConsultingSkill = {
  name: 'debug',
  family: 'debug',
  phase: 'debug',
  discipline: 'debug',
  description: 'Debug an error: 3–5 ranked hypotheses, each with a concrete check.',
  inputSchema: {
    project_root: projectRoot,
    error: required('error').describe('Message and stack trace.'),
    context: optionalText('context'),
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { error: 'Error', context: 'Context' }),
};
