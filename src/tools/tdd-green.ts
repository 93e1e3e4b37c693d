import { LIMITS } from './limits.js';
import { required, testCmd, testOutput } from './arguments.js';
import { consultingTool } from './consulting.js';

export const tddGreen = consultingTool({
  name: 'tdd_green',
  title: 'TDD green',
  family: 'tdd',
  phase: 'green',
  discipline: 'tdd',
  description: 'TDD green: the least code that makes the failing test pass.',
  input: { test_path: required('test_path', LIMITS.pathChars).describe('Failing test file.'), test_cmd: testCmd, test_output: testOutput },
  fields: { test_path: 'Failing test', test_cmd: 'Test command', test_output: 'Output of the test run' },
  fileArguments: ['test_path'],
});
