/**
 * Answers of small local models carry habits that only cost the reader, and the disciplines forbid:
 * reasoning blocks (`<think>…</think>`), and a status/phase object (`{"status": "ok", "phase": "red"}`),
 * fenced or bare, at the end or mid-text. Both go. An answer that is nothing but JSON (an object, an
 * array, or one JSON code block) is not an answer the agent can read: it is refused — cleaned to
 * nothing — so the chain records the try as `empty` (with refusalOf's reason) and asks the next model.
 * Any other JSON inside a markdown answer is content and stays.
 */

const REASONING = /<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi;
// A reasoning block the model never closed before answering: drop just the opening tag.
const UNCLOSED_REASONING = /^\s*<(think|thinking|reasoning)>\s*/i;
/** A fence that opens or closes a code block: three or more backticks (or tildes), then an info string. */
const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/;

export function cleanAnswer(text: string): string {
  const answer = withoutReasoning(text);
  if (isJsonOnly(answer)) return '';
  return withoutStatusBlocks(answer).trim();
}

/** Why a raw answer cleans to nothing: what the chain records for its `empty` try. */
export function refusalOf(text: string): string {
  const answer = withoutReasoning(text);
  if (!answer) return 'the model answered nothing';
  if (isJsonOnly(answer)) return 'the model answered JSON, not markdown';
  return 'the model answered only a status block';
}

function withoutReasoning(text: string): string {
  return text.replace(REASONING, '').replace(UNCLOSED_REASONING, '').trim();
}

/** The whole answer is JSON: bare, or one code block whose content is JSON, and nothing around it. */
function isJsonOnly(answer: string): boolean {
  if (parsesAsJsonValue(answer)) return true;
  const blocks = splitBlocks(answer);
  const only = blocks.length === 1 ? blocks[0] : undefined;
  return only?.kind === 'fence' && (only.language === 'json' || only.language === '') && parsesAsJsonValue(only.body);
}

/** Drops every status/phase object: a ```json (or bare) code block, or a paragraph of its own. */
function withoutStatusBlocks(answer: string): string {
  const kept = splitBlocks(answer).flatMap((block): Block[] => {
    if (block.kind === 'fence') return (block.language === 'json' || block.language === '') && isStatusObject(block.body) ? [] : [block];
    if (isStatusObject(block.text)) return [];
    // A one-line status object inside a paragraph goes too; a sentence that mentions one stays.
    const lines = block.text.split('\n').filter((line) => !isStatusObject(line));
    return lines.length > 0 || block.text === '' ? [{ kind: 'text', text: lines.join('\n') }] : [];
  });
  return withoutRepeatedBlankLines(kept)
    .map((block) => block.text)
    .join('\n');
}

type Block = { kind: 'text'; text: string } | { kind: 'fence'; text: string; language: string; body: string };

/**
 * The answer as paragraphs (split at blank lines) and code blocks (kept whole, blank lines and all):
 * a status object inside a code block of another language is code, not a status block. An unclosed
 * fence runs to the end, as markdown renders it.
 */
function splitBlocks(answer: string): Block[] {
  const lines = answer.split(/\r?\n/);
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'text', text: paragraph.join('\n') });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = FENCE.exec(line);
    if (!open) {
      if (line.trim() === '') {
        endParagraph();
        blocks.push({ kind: 'text', text: '' });
      } else paragraph.push(line);
      continue;
    }
    endParagraph();
    const marker = open[1] ?? '```';
    let end = i + 1;
    while (end < lines.length && !closes(lines[end] ?? '', marker)) end++;
    const body = lines.slice(i + 1, end).join('\n');
    blocks.push({ kind: 'fence', text: lines.slice(i, end + 1).join('\n'), language: (open[2] ?? '').toLowerCase(), body });
    i = end;
  }
  endParagraph();
  return blocks;
}

/** One blank line between blocks, however many the model (or a dropped block) left. */
function withoutRepeatedBlankLines(blocks: Block[]): Block[] {
  return blocks.filter((block, i) => block.kind !== 'text' || block.text !== '' || blocks[i - 1]?.text !== '');
}

/** A closing fence: the same character, at least as long, and nothing after it. */
function closes(line: string, marker: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= marker.length && [...trimmed].every((char) => char === marker[0]);
}

function parsesAsJsonValue(text: string): boolean {
  const trimmed = text.trim();
  // Only structures: a bare number or quoted string is a (very short) answer, not a JSON habit.
  if (!/^[[{]/.test(trimmed)) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

function isStatusObject(json: string): boolean {
  const trimmed = json.trim();
  if (!trimmed.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value) && ('status' in value || 'phase' in value);
  } catch {
    return false;
  }
}
