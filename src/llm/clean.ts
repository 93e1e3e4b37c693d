/**
 * Answers of small local models carry habits that only cost the reader: reasoning blocks
 * (`<think>…</think>`) and a trailing ```json fence restating a status/phase result object.
 * Both go; any other JSON in an answer is content and stays.
 */

const REASONING = /<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi;
// A reasoning block the model never closed before answering: drop just the opening tag.
const UNCLOSED_REASONING = /^\s*<(think|thinking|reasoning)>\s*/i;
const TRAILING_JSON_FENCE = /```json[ \t]*\r?\n([\s\S]*?)\r?\n```\s*$/i;

export function cleanAnswer(text: string): string {
  let cleaned = text.replace(REASONING, '').replace(UNCLOSED_REASONING, '');
  const fence = TRAILING_JSON_FENCE.exec(cleaned);
  if (fence && isStatusObject(fence[1] ?? '')) cleaned = cleaned.slice(0, fence.index);
  return cleaned.trim();
}

function isStatusObject(json: string): boolean {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) && ('status' in value || 'phase' in value);
  } catch {
    return false;
  }
}
