import { required, testCmd } from './arguments.js';
import { consultingTool } from './consulting.js';

export const tddRed = consultingTool({
  name: 'tdd_red',
  title: 'TDD red',
  family: 'tdd',
  phase: 'red',
  discipline: 'tdd',
  description: 'TDD red: from a spec, the next failing test to write and why.',
  input: { spec: required('spec').describe('The behaviour wanted.'), test_cmd: testCmd },
  fields: { spec: 'Spec', test_cmd: 'Test command' },
});
