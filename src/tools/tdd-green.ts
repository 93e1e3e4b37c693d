import { LIMITS } from './limits.js';
import { required, testCmd } from './arguments.js';
import { consultingTool } from './consulting.js';

export const tddGreen = consultingTool({
  name: 'tdd_green',
  title: 'TDD green',
  family: 'tdd',
  phase: 'green',
  discipline: 'tdd',
  description: 'TDD green: the least code that makes the failing test pass.',
  input: { test_path: required('test_path', LIMITS.pathChars).describe('The failing test file.'), test_cmd: testCmd },
  fields: { test_path: 'Failing test', test_cmd: 'Test command' },
  fileArguments: ['test_path'],
});
