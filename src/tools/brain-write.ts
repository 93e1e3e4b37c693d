import { z } from 'zod';
import { WriteBody } from '../../common/brain-contract.js';
import { defineTool } from './define.js';

/** POST /write's named arguments, checked by the same schema (frontmatter keys beyond these: POST /write). */
export const brainWrite = defineTool({
  name: 'brain_write',
  title: 'Brain note',
  description: 'Save knowledge as a markdown note; an existing note changes only with mode overwrite or append.',
  kind: 'write',
  input: {
    ...WriteBody.shape,
    title: WriteBody.shape.title.describe('Default: the first # heading.'),
    // Its 64-hex pattern is left out of tools/list (read into every agent's context): the brain checks it on every write.
    expected_sha256: z.string().optional().describe(WriteBody.shape.expected_sha256.description ?? ''),
  },
  // The contract's WriteResult, spelled open: tools/list is read into every Claude Code user's context.
  output: z.object({ path: z.string(), action: z.string(), sha256: z.string() }),
  run: async (note, { deps }) => {
    const written = await deps.brain.write(note);
    // The hash in the text too: the agent's next conditional write of this note sends it.
    return { text: `Note ${written.action}: ${written.path} (sha256 ${written.sha256})`, structured: { ...written } };
  },
});
