import { z } from 'zod';
import { defineTool } from './define.js';

export const brainQuery = defineTool({
  name: 'brain_query',
  description: "Search the team's knowledge notes by keywords or a question; best first, with excerpts.",
  kind: 'read',
  input: {
    query: z.string().min(1),
    limit: z.number().int().min(1).max(50).optional().describe('Default 5.'),
    type: z.string().optional(),
    domain: z.string().optional(),
    tags: z.array(z.string()).optional().describe('All required.'),
  },
  output: z.object({ results: z.array(z.object({}).loose()) }),
  run: async ({ query, limit, type, domain, tags }, { deps, call }) => {
    const results = await deps.brain.search({ text: query, limit: limit ?? 5, type, domain, tags }, call.signal);
    const text = results.length === 0 ? `No notes match "${query}".` : results.map((r) => `- **${r.title}** (\`${r.path}\`): ${r.excerpt}`).join('\n');
    return { text, structured: { results } };
  },
});
