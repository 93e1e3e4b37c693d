import { WriteBody, WriteResult } from '../../common/brain-contract.js';
import { defineTool } from './define.js';

/** POST /write's named arguments, checked by the same schema (frontmatter keys beyond these: POST /write). */
export const brainWrite = defineTool({
  name: 'brain_write',
  description: 'Save knowledge as a markdown note. An existing note is replaced or extended only with mode overwrite or append.',
  kind: 'write',
  input: WriteBody.shape,
  output: WriteResult,
  run: async (note, { deps }) => {
    const written = await deps.brain.write(note);
    return { text: `Note ${written.action}: ${written.path}`, structured: { ...written } };
  },
});
