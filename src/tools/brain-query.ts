import { z } from 'zod';
import { QueryBody } from '../../common/brain-contract.js';
import { defineTool } from './define.js';

/** POST /query's arguments, checked by the same schema: the brain answers MCP and curl alike. */
export const brainQuery = defineTool({
  name: 'brain_query',
  title: 'Brain search',
  description: "Search the team's knowledge notes: best first, with excerpts.",
  kind: 'read',
  input: { ...QueryBody.shape, type: QueryBody.shape.type.describe('Only notes of this type.'), domain: QueryBody.shape.domain.describe('Only notes of this domain.') },
  // Hits are the contract's SearchHit (docs/brain.md); spelled open here, as tools/list is read into
  // every Claude Code user's context.
  output: z.object({ results: z.array(z.object({}).loose()) }),
  run: async (query, { deps, call }) => {
    const results = await deps.brain.search(query, call.signal);
    const text = results.length === 0 ? `No notes match "${query.query}".` : results.map((r) => `- **${r.title}** (\`${r.path}\`): ${r.excerpt}`).join('\n');
    return { text, structured: { results } };
  },
});
