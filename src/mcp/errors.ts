/**
 * The tool boundary: every tool's answer or error becomes the MCP result here. A failure the caller
 * can act on is one line saying what to do; anything else is logged whole on the server and answered
 * with a generic line, since a raw error may carry server paths or internals (an fs error names the
 * absolute path). Metrics are counted on the way.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { BrainRefused, BrainUnavailable } from '../brain/client.js';
import type { Logger } from '../deps.js';
import { CallRefused } from '../errors.js';
import { ChainFailed, type Attempt } from '../llm/chain.js';
import type { ToolAnswer } from '../tools/define.js';
import type { CallMetrics, ErrorKind } from './call-metrics.js';

interface Failure {
  kind: ErrorKind;
  text: string;
  attempts?: Attempt[];
}

/** What the caller is told about an error, or null when it is not the caller's to know. */
function failureOf(error: unknown): Failure | null {
  if (error instanceof ChainFailed) return { kind: error.cancelled ? 'cancelled' : 'models_failed', text: error.message, attempts: error.attempts };
  if (error instanceof CallRefused || error instanceof BrainRefused) return { kind: 'refused', text: error.message };
  if (error instanceof BrainUnavailable) return { kind: 'brain_unavailable', text: `the brain is unavailable: ${error.message}` };
  return null;
}

export function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

export type ToolBoundary = (tool: string, work: () => Promise<ToolAnswer>) => Promise<CallToolResult>;

export function toolBoundary(metrics: CallMetrics, logger: Logger): ToolBoundary {
  return async (tool, work) => {
    const stop = metrics.started(tool);
    try {
      const answer = await work();
      const notes = (answer.notes ?? []).map((text) => ({ type: 'text' as const, text }));
      // The answer goes twice, by contract (docs/mcp.md): as text for clients that ignore structuredContent,
      // and as structuredContent.text; serializing it twice costs little (~0.03 ms for an 8 KB answer).
      const result: CallToolResult = { content: [{ type: 'text', text: answer.text }, ...notes], structuredContent: answer.structured };
      metrics.answered(tool, answer.model, answer.attempts, result);
      return result;
    } catch (error) {
      const failure = failureOf(error);
      if (!failure) {
        logger.error({ err: error, tool }, 'tool failed unexpectedly');
        const result = toolError('internal error; the server log has the details');
        metrics.failed(tool, 'internal', undefined, result);
        return result;
      }
      const result = toolError(failure.text);
      metrics.failed(tool, failure.kind, failure.attempts, result);
      return result;
    } finally {
      stop();
    }
  };
}
