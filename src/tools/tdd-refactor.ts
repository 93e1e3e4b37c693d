import { LIMITS } from './limits.js';
import { required, testCmd, testOutput } from './arguments.js';
import { consultingTool } from './consulting.js';

export const tddRefactor = consultingTool({
  name: 'tdd_refactor',
  title: 'TDD refactor',
  family: 'tdd',
  phase: 'refactor',
  discipline: 'tdd',
  description: 'TDD refactor: safe improvement steps for green code.',
  input: { test_path: required('test_path', LIMITS.pathChars).describe('Test file.'), impl_path: required('impl_path', LIMITS.pathChars).describe('Code file.'), test_cmd: testCmd, test_output: testOutput },
  fields: { test_path: 'Test', impl_path: 'Implementation', test_cmd: 'Test command', test_output: 'Output of the test run' },
  fileArguments: ['test_path', 'impl_path'],
});
