import { panelArg, contextArg, required } from './arguments.js';
import { consultingTool } from './consulting.js';

export const debug = consultingTool({
  name: 'debug',
  title: 'Debug',
  family: 'debug',
  phase: 'debug',
  discipline: 'debug',
  description: 'Debug an error: 3–5 ranked hypotheses, each with a concrete check.',
  input: { error: required('error').describe('Message and stack trace.'), context: contextArg, panel: panelArg },
  fields: { error: 'Error', context: 'Context' },
});
