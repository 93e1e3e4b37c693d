/**
 * Builds the two messages of a consulting call (docs/mcp.md) and fits them to the model's context
 * window: the discipline and the task first, then the brain's notes, then the newest history.
 * Whatever had to be left out is reported, never dropped silently.
 */
import type { SearchHit } from '../../common/brain-contract.js';
import type { WhatWasCut } from '../../common/consultation-contract.js';
import { formatHistory, type SessionEntry } from '../session/log.js';

export interface Attachment {
  path: string;
  content: string;
}

export interface FieldOptions {
  /** The argument's name, as `cut.fields` reports it (default: the label). */
  name?: string;
  /** A session log, its entries apart by SESSION_ENTRY_SEPARATOR, newest last: shortened from its start
   *  by whole entries, so the newest stay; how many were left out is reported as `cut.session_entries`. */
  sessionLog?: boolean;
}

export type TaskField = [label: string, value: string, options?: FieldOptions];

export interface Task {
  phase: string;
  projectRoot: string | null;
  /** The call's own arguments, labelled, in the order the model should read them. */
  fields: TaskField[];
  /** Files, or a diff under a name like changes.diff. */
  attachments: Attachment[];
}

export interface PromptInput {
  protocols: string;
  discipline: string;
  knowledge: SearchHit[];
  history: SessionEntry[];
  task: Task;
  /** The model's context window, in tokens. */
  contextWindow: number;
}

export type { WhatWasCut } from '../../common/consultation-contract.js';

export interface Prompt {
  system: string;
  user: string;
  knowledgeUsed: SearchHit[];
  historyUsed: number;
  cut: WhatWasCut;
}

/** History is a short list: the recent calls say where the session is; older ones add little. */
export const MAX_HISTORY_ENTRIES = 20;

/** A rough token count: about four characters a token for English and code. Errs on the large side. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 3.5);

/** Room left for the answer: a quarter of the window, at most 4k tokens. */
export const answerReserve = (contextWindow: number) => Math.min(4096, Math.floor(contextWindow / 4));

/** No prompt is fitted again to less than this: below it, a discipline and a task no longer fit. */
export const MIN_REFIT_WINDOW = 1024;

/**
 * The window to fit a prompt to again after the model said it did not fit `assumed`: the window its
 * error names when smaller (LiteLLM passes the backend's "maximum context length is N"), else half of
 * what was assumed. Null when that would be too small to hold a useful prompt.
 */
export function refitWindow(assumed: number, reported: number | undefined): number | null {
  const window = reported !== undefined && reported < assumed ? reported : Math.floor(assumed / 2);
  return window >= MIN_REFIT_WINDOW ? window : null;
}

export function assemblePrompt(input: PromptInput): Prompt {
  const system = `${input.protocols.trim()}\n\n---\n\n${input.discipline.trim()}\n`;
  let budget = input.contextWindow - answerReserve(input.contextWindow) - estimateTokens(system);
  const cut: WhatWasCut = { knowledge: 0, history: 0, truncated: [], omitted: [], fields: [] };

  const task = fitTask(input.task, budget, cut);
  budget -= estimateTokens(task);

  const knowledgeUsed: SearchHit[] = [];
  for (const hit of input.knowledge) {
    const cost = estimateTokens(renderHit(hit));
    if (cost > budget) {
      cut.knowledge++;
      continue;
    }
    knowledgeUsed.push(hit);
    budget -= cost;
  }

  const historyUsed: SessionEntry[] = [];
  for (const entry of input.history.slice(-MAX_HISTORY_ENTRIES).reverse()) {
    const cost = estimateTokens(formatHistory([entry])) + 1;
    if (cost > budget) break;
    historyUsed.unshift(entry);
    budget -= cost;
  }
  cut.history = input.history.length - historyUsed.length;

  const sections: string[] = [];
  if (knowledgeUsed.length > 0) sections.push(`## Relevant knowledge\n\n${knowledgeUsed.map(renderHit).join('\n\n')}`);
  if (historyUsed.length > 0) sections.push(`## Session history\n\n${formatHistory(historyUsed)}`);
  sections.push(task);
  return { system, user: `${sections.join('\n\n')}\n`, knowledgeUsed, historyUsed: historyUsed.length, cut };
}

function renderHit(hit: SearchHit): string {
  return `### ${hit.title} (\`${hit.path}\`)\n${hit.excerpt}`;
}

function renderTask(task: Task, omitted: number): string {
  const lines = [`## Task`, '', `**Phase:** ${task.phase}`];
  if (task.projectRoot) lines.push(`**Project root:** ${task.projectRoot}`);
  for (const [label, value] of task.fields) {
    lines.push(value.includes('\n') ? `**${label}:**\n${value}` : `**${label}:** ${value}`);
  }
  if (task.attachments.length > 0) {
    lines.push('', '### Attached code');
    for (const file of task.attachments) lines.push('', `#### \`${file.path}\``, fenced(numbered(file.content), ''));
  }
  if (omitted > 0) lines.push('', `(${omitted} more attached file${omitted === 1 ? '' : 's'} left out: they did not fit the model's context.)`);
  return lines.join('\n');
}

/** Line numbers let the consultant cite `file:line`. */
function numbered(content: string): string {
  const lines = content.split('\n');
  const width = String(lines.length).length;
  return lines.map((line, i) => `${String(i + 1).padStart(width)} | ${line}`).join('\n');
}

/** A code fence longer than any run of backticks inside, so the content cannot close it. */
function fenced(content: string, language: string): string {
  let longest = 2; // a loop, not Math.max(...runs): a spread of many runs overflows the stack
  for (const run of content.matchAll(/`+/g)) longest = Math.max(longest, run[0].length);
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${content}\n${fence}`;
}

/** The inverse of estimateTokens: characters a token stands for. */
const CHARS_PER_TOKEN = 3.5;

/** The most characters of text a context window holds: more of a log than this can never be sent. */
export const windowChars = (contextWindow: number) => Math.ceil(contextWindow * CHARS_PER_TOKEN);
/** Rounding (system and task are estimated apart, the user message ends with a newline) costs a few characters. */
const SLACK_CHARS = 16;
/** A shortened text keeps at least this much of itself, so the model still sees what it was. */
const MIN_CHARS = 200;
/** Room for the "… [cut: …]" line a shortened text gets. */
const MARKER_CHARS = 100;
/** An attachment's heading and fences beside its path and the fence's backticks. */
const ATTACHMENT_OVERHEAD_CHARS = 20;
/** The fit is checked by rendering; should the computed sizes be short, it is solved again, at most this often. */
const MAX_RENDERS = 4;

/** A text that may be shortened: an argument's value or an attachment's content. */
interface Piece {
  size: number;
  /** Attached code, whose lines get numbers ("  12 | "): how its lines are spread. */
  code: CodeLines | null;
}

/** Line ends of the part of some code that could ever be kept (`scanned` characters), for counting them fast. */
interface CodeLines {
  text: string;
  scanned: number;
  /** Line ends before each 64-character block. */
  linesAtBlock: Uint32Array;
  /** Line ends in the scanned part. */
  lines: number;
  /** The longest run of backticks in the scanned part (the fence must be longer). */
  backticks: number;
}

/**
 * Renders the task within `budget` tokens. When it does not fit, the longest texts — arguments and
 * attached code alike — are shortened first, all to one common length (the level), never below
 * MIN_CHARS; when even that is too long, attachments are left out from the last one back. Rendered
 * sizes are computed from each text's length and line ends (one scan), the level found by binary
 * search over them, and the task rendered only once it fits: the work is linear in what the call
 * holds, however much that is.
 */
function fitTask(task: Task, budget: number, cut: WhatWasCut): string {
  const target = Math.floor(budget * CHARS_PER_TOKEN) - SLACK_CHARS;
  const fields: Piece[] = task.fields.map(([, value]) => ({ size: value.length, code: null }));
  // No text keeps more than the whole room: only that much of each is ever scanned.
  const files: Piece[] = task.attachments.map((a) => ({ size: a.content.length, code: scan(a.content, Math.max(target, MIN_CHARS) + 1) }));
  const overheads = task.attachments.map((a) => a.path.length + ATTACHMENT_OVERHEAD_CHARS);
  const skeleton = renderTask({ ...task, fields: task.fields.map(([label, , options]): TaskField => [label, '', options]), attachments: [] }, 0).length;
  const fileCost = (i: number, level: number) => (overheads[i] ?? 0) + renderedSize(files[i] as Piece, level);
  const longest = [...fields, ...files].reduce((max, p) => Math.max(max, p.size), MIN_CHARS);
  const omittedNote = 80;

  let room = target;
  for (let render = 1; ; render++) {
    // Attachments that fit even when every text is at its minimum, counted from the first.
    let kept = files.length;
    let atMinimum = skeleton + omittedNote + sum(fields.map((p) => renderedSize(p, MIN_CHARS))) + sum(files.map((_, i) => fileCost(i, MIN_CHARS)));
    while (kept > 0 && atMinimum > room) {
      kept--;
      atMinimum -= fileCost(kept, MIN_CHARS);
    }
    const keptIndexes = [...Array(kept).keys()];
    const total = (level: number) => skeleton + omittedNote + sum(fields.map((p) => renderedSize(p, level))) + sum(keptIndexes.map((i) => fileCost(i, level)));
    const level = largestLevel((candidate) => total(candidate) <= room, longest);

    const shortened = { entries: 0 };
    const fitted: Task = {
      ...task,
      fields: task.fields.map(([label, value, options]): TaskField => [label, options?.sessionLog ? shortenKeepingEnd(value, level, shortened) : shorten(value, level), options]),
      attachments: task.attachments.slice(0, kept).map((a) => ({ path: a.path, content: shorten(a.content, level) })),
    };
    const text = renderTask(fitted, files.length - kept);
    if (text.length <= target || render === MAX_RENDERS || (level === MIN_CHARS && kept === 0)) {
      task.fields.forEach(([label, value, options]) => {
        if (value.length > level) cut.fields.push(options?.name ?? label);
      });
      task.attachments.forEach((a, i) => {
        if (i >= kept) cut.omitted.push(a.path);
        else if (a.content.length > level) cut.truncated.push(a.path);
      });
      if (task.fields.some(([, , options]) => options?.sessionLog)) cut.session_entries = shortened.entries;
      return text;
    }
    room -= text.length - target; // the computed size was short: ask for that much less and solve again
  }
}

/** The largest level in [MIN_CHARS, max] that `fits` (MIN_CHARS when none does): a binary search. */
function largestLevel(fits: (level: number) => boolean, max: number): number {
  let low = MIN_CHARS;
  let high = max;
  if (fits(high)) return high;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}

const BLOCK_BITS = 6; // 64-character blocks

/** One pass over the first `limit` characters of attached code: where its lines end, its longest run of backticks. */
function scan(text: string, limit: number): CodeLines {
  const scanned = Math.min(text.length, limit);
  const linesAtBlock = new Uint32Array((scanned >>> BLOCK_BITS) + 1);
  let lines = 0;
  let run = 0;
  let backticks = 0;
  for (let i = 0; i < scanned; i++) {
    if ((i & ((1 << BLOCK_BITS) - 1)) === 0) linesAtBlock[i >>> BLOCK_BITS] = lines;
    const code = text.charCodeAt(i);
    if (code === 0x0a) {
      lines++;
      run = 0;
    } else if (code === 0x60) {
      run++;
      if (run > backticks) backticks = run;
    } else run = 0;
  }
  if ((scanned & ((1 << BLOCK_BITS) - 1)) === 0) linesAtBlock[scanned >>> BLOCK_BITS] = lines;
  return { text, scanned, linesAtBlock, lines, backticks };
}

/** Line ends before `offset` (at most `scanned`), from the block counts and at most one block's characters. */
function linesBefore(code: CodeLines, offset: number): number {
  const blockStart = offset & ~((1 << BLOCK_BITS) - 1);
  let count = code.linesAtBlock[blockStart >>> BLOCK_BITS] ?? 0;
  for (let i = blockStart; i < offset; i++) if (code.text.charCodeAt(i) === 0x0a) count++;
  return count;
}

/**
 * Rendered characters of a text shortened to `level`: with its marker, and for code its line numbers
 * and fences. Past the scanned part, a lower bound: enough to tell that it does not fit.
 */
function renderedSize(piece: Piece, level: number): number {
  const shortened = piece.size > level;
  const kept = shortened ? level + MARKER_CHARS : piece.size;
  const code = piece.code;
  if (!code) return kept;
  const lineEnds = shortened ? linesBefore(code, Math.min(level, code.scanned)) + 1 : code.lines;
  const lines = lineEnds + 1;
  const fence = Math.max(3, Math.min(code.backticks, level) + 1);
  return kept + lines * (String(lines).length + 3) + 2 * fence;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function shorten(text: string, keep: number): string {
  if (keep >= text.length) return text;
  return `${text.slice(0, keep)}\n… [cut: ${text.length - keep} more characters did not fit the model's context]`;
}

/** Between two entries of a session-log field: a blank line (an entry is a block of lines without one). */
export const SESSION_ENTRY_SEPARATOR = '\n\n';

/** Keeps the end of a log by whole entries (its newest), and counts the entries left out. */
function shortenKeepingEnd(text: string, keep: number, shortened: { entries: number }): string {
  if (keep >= text.length) return text;
  const from = text.length - keep;
  const next = text.indexOf(SESSION_ENTRY_SEPARATOR, Math.max(0, from - SESSION_ENTRY_SEPARATOR.length));
  const start = next < 0 ? text.length : next + SESSION_ENTRY_SEPARATOR.length;
  const separators = (upTo: number) => text.slice(0, upTo).split(SESSION_ENTRY_SEPARATOR).length - 1;
  const dropped = start === text.length ? separators(text.length) + 1 : separators(start);
  shortened.entries += dropped;
  return `… [cut: ${dropped} earlier entries (${start} characters) did not fit the model's context]\n${text.slice(start)}`;
}
