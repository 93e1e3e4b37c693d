import { z } from 'zod';
import { defineTool } from './define.js';

export const brainWrite = defineTool({
  name: 'brain_write',
  description: 'Save knowledge as a markdown note. An existing note is replaced or extended only with mode overwrite or append.',
  kind: 'write',
  input: {
    content: z.string().min(1).describe('Markdown.'),
    filename: z.string().optional().describe('Default: from the title.'),
    title: z.string().optional(),
    type: z.string().optional().describe('e.g. pattern, correction'),
    domain: z.string().optional(),
    tags: z.array(z.string()).optional(),
    mode: z.enum(['create', 'overwrite', 'append']).optional(),
  },
  output: z.object({ path: z.string(), action: z.string() }),
  run: async (note, { deps }) => {
    const written = await deps.brain.write(note);
    return { text: `Note ${written.action}: ${written.path}`, structured: { ...written } };
  },
});
