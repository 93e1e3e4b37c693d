import { LIMITS, optionalText } from './limits.js';
import { codeArgs, commonArgs, present, projectRoot, required, type ConsultingSkill } from './skill.js';

const testCmd = optionalText('test_cmd', LIMITS.commandChars).describe('e.g. npm test');

export const tddRed: ConsultingSkill = {
  name: 'tdd_red',
  family: 'tdd',
  phase: 'red',
  discipline: 'tdd',
  description: 'TDD red: from a spec, the next failing test to write and why.',
  inputSchema: { project_root: projectRoot, spec: required('spec'), test_cmd: testCmd, ...codeArgs, ...commonArgs },
  fields: (args) => present(args, { spec: 'Spec', test_cmd: 'Test command' }),
};

export const tddGreen: ConsultingSkill = {
  name: 'tdd_green',
  family: 'tdd',
  phase: 'green',
  discipline: 'tdd',
  description: 'TDD green: the least code that makes the failing test pass.',
  inputSchema: { project_root: projectRoot, test_path: required('test_path', LIMITS.pathChars), test_cmd: testCmd, ...codeArgs, ...commonArgs },
  fields: (args) => present(args, { test_path: 'Failing test', test_cmd: 'Test command' }),
  files: (args) => [String(args.test_path)],
};

export const tddRefactor: ConsultingSkill = {
  name: 'tdd_refactor',
  family: 'tdd',
  phase: 'refactor',
  discipline: 'tdd',
  description: 'TDD refactor: safe improvement steps for green code.',
  inputSchema: {
    project_root: projectRoot,
    test_path: required('test_path', LIMITS.pathChars),
    impl_path: required('impl_path', LIMITS.pathChars),
    test_cmd: testCmd,
    ...codeArgs,
    ...commonArgs,
  },
  fields: (args) => present(args, { test_path: 'Test', impl_path: 'Implementation', test_cmd: 'Test command' }),
  files: (args) => [String(args.test_path), String(args.impl_path)],
};
