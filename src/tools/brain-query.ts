import { z } from 'zod';
import { QueryBody, SearchHit } from '../../common/brain-contract.js';
import { defineTool } from './define.js';

/** POST /query's arguments, checked by the same schema: the brain answers MCP and curl alike. */
export const brainQuery = defineTool({
  name: 'brain_query',
  description: "Search the team's knowledge notes by keywords or a question; best first, with excerpts.",
  kind: 'read',
  input: QueryBody.shape,
  output: z.object({ results: z.array(SearchHit) }),
  run: async (query, { deps, call }) => {
    const results = await deps.brain.search(query, call.signal);
    const text = results.length === 0 ? `No notes match "${query.query}".` : results.map((r) => `- **${r.title}** (\`${r.path}\`): ${r.excerpt}`).join('\n');
    return { text, structured: { results } };
  },
});
