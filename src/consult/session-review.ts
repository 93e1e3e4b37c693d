/**
 * A session log as a consultation's task: what retrospective and trainer (src/tools/) read instead of
 * code. Only the log's end is read; the entries left out are counted and reported — exactly, unless
 * the log is so long that counting them would mean reading it all: then as a lower bound, said so.
 */
import type { Deps } from '../deps.js';
import { CallRefused } from '../errors.js';
import type { Attempt } from '../llm/chain.js';
import { COUNTED_BYTES, type SessionEntry } from '../session/log.js';
import { SESSION_ENTRY_SEPARATOR, windowChars, type Task, type WhatWasCut } from './prompt.js';

/**
 * The most of a session log's end that is read, whatever the model's window: never the whole of a
 * log that grew without bound. Within it, reading stops once the entries read would fill the window
 * (the prompt is fitted to the window afterwards).
 */
export const SESSION_REVIEW_BYTES = 512 * 1024;

export interface ReadLog {
  entries: SessionEntry[];
  text: string;
  /** Older entries not read (beyond SESSION_REVIEW_BYTES). */
  earlier: number;
  /** False when `earlier` is a lower bound (the log is longer than SESSION_REVIEW_BYTES + COUNTED_BYTES). */
  earlierExact: boolean;
  /** The project of the session's latest call that named one. */
  projectRoot: string | null;
}

/**
 * The end of the session's log, as much of it as a `contextWindow` could show (its newest entries,
 * read back from the end until they would fill the window); refused when the session has no calls yet.
 */
export async function readSessionLog(deps: Pick<Deps, 'sessions'>, sessionId: string, contextWindow = Infinity): Promise<ReadLog> {
  const room = windowChars(contextWindow);
  // Each entry is rendered once, as it is read (newest first): its length says when the window is full.
  const lines: string[] = [];
  let chars = 0;
  const { entries, earlier, earlierExact } = await deps.sessions.tail(sessionId, SESSION_REVIEW_BYTES, (entry) => {
    const block = formatReviewEntry(entry);
    lines.push(block);
    chars += block.length + SESSION_ENTRY_SEPARATOR.length;
    return chars >= room;
  });
  if (entries.length === 0) {
    throw new CallRefused(`session ${sessionId} has no consultations yet: consult first, or pass the session_id of an earlier session`);
  }
  const text = lines.length === entries.length ? lines.reverse().join(SESSION_ENTRY_SEPARATOR) : entries.map(formatReviewEntry).join(SESSION_ENTRY_SEPARATOR);
  return { entries, text, earlier, earlierExact, projectRoot: entries.findLast((e) => e.project_root)?.project_root ?? null };
}

/**
 * One call as a reviewer reads it: what was asked (the arguments in short), how it went (duration,
 * each attempt — a fallback shows as a failed attempt before the one that answered), what the prompt
 * left out, and the answer as logged. A block of lines with no blank line inside: the blank line
 * between blocks is where the prompt's fitting may cut (SESSION_ENTRY_SEPARATOR).
 */
export function formatReviewEntry(e: SessionEntry): string {
  const when = e.timestamp.slice(0, 19).replace('T', ' ');
  const lines = [`### ${when} ${e.skill} (${e.phase}) ${e.final_status}${e.model_used ? ` by ${e.model_used}` : ''}, ${seconds(e.duration_ms)}`];
  const args = Object.entries(e.arguments ?? {});
  if (args.length > 0) lines.push(`Arguments: ${args.map(([name, value]) => `${name}: ${value}`).join('; ')}`);
  if (e.attempts.length > 1 || e.attempts.some((a) => a.outcome !== 'ok')) lines.push(`Attempts: ${e.attempts.map(formatAttempt).join('; ')}`);
  const outcome = e.advice_outcome;
  if (outcome) {
    const verdict = outcome.worked === null ? 'cannot be told from it' : outcome.worked ? 'worked' : 'did not work';
    lines.push(`Test run after the previous ${outcome.skill} (by ${outcome.model}): ${outcome.seen}, expected ${outcome.expected}; that advice ${verdict}`);
  }
  const cut = e.cut ? formatCut(e.cut) : '';
  if (cut) lines.push(`Cut to fit the model's window: ${cut}`);
  const answer = e.message.replace(/\n\s*\n/g, '\n').trim();
  const whole = e.message_chars ?? e.message.length;
  // Another writer's outcome words are kept as written ('success', 'failed'): only failures' messages are errors.
  const label = FAILED.test(e.final_status) ? 'Error' : 'Answer';
  lines.push(whole > e.message.length ? `${label} (first ${e.message.length} of ${whole} characters):` : `${label}:`, answer || '(empty)');
  return lines.join('\n');
}

const FAILED = /^(error|cancelled|failed|failure)$/i;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function formatAttempt(a: Attempt): string {
  const why = a.outcome === 'ok' ? '' : ` (${a.status ? `${a.status} ` : ''}${a.detail ?? a.outcome})`;
  return `${a.model} ${a.outcome}${why}, ${seconds(a.ms)}`;
}

function formatCut(cut: WhatWasCut): string {
  const parts: string[] = [];
  if (cut.knowledge) parts.push(`${cut.knowledge} brain notes`);
  if (cut.history) parts.push(`${cut.history} history entries`);
  if (cut.session_entries) parts.push(`${cut.session_entries} session entries`);
  if (cut.fields?.length) parts.push(`arguments shortened: ${cut.fields.join(', ')}`);
  if (cut.truncated?.length) parts.push(`files shortened: ${cut.truncated.join(', ')}`);
  if (cut.omitted?.length) parts.push(`files left out: ${cut.omitted.join(', ')}`);
  return parts.join('; ');
}

/** Only the start of the task words is searched with (knowledge.ts reads 2,000 characters). */
const TASK_WORDS_CHARS = 2000;

/**
 * What the session was about, to find brain notes with: the calls' own arguments in short, newest
 * first and each once — never the log's timestamps, model names or outcome words, which match
 * nothing worth reading. Entries written before arguments were logged give their answer's start.
 */
export function taskWords(entries: readonly SessionEntry[]): string {
  const words = new Set<string>();
  let chars = 0;
  for (const entry of [...entries].reverse()) {
    const args = Object.entries(entry.arguments ?? {}).filter(([name]) => name !== 'model').map(([, value]) => value);
    const texts = entry.arguments ? args : [entry.message.slice(0, 200)];
    for (const text of texts) {
      if (chars >= TASK_WORDS_CHARS) break;
      if (words.has(text)) continue;
      words.add(text);
      chars += text.length + 1;
    }
  }
  return [...words].join('\n');
}

export const logTask = (phase: string, sessionId: string, log: ReadLog): Task => ({
  phase,
  projectRoot: log.projectRoot,
  fields: [
    ['Session', sessionId],
    ['Consultations', consultations(log)],
    ['Session log (one call a block, oldest first)', log.text, { name: 'session_log', sessionLog: true }],
  ],
  attachments: [],
});

const READ_MIB = (SESSION_REVIEW_BYTES + COUNTED_BYTES) / 1024 / 1024;

/** How many calls the session holds, as far as it was counted. */
function consultations(log: ReadLog): string {
  const counted = log.entries.length + log.earlier;
  return log.earlierExact ? String(counted) : `at least ${counted} (only the log's last ${READ_MIB} MiB were counted)`;
}

/** What was cut: the entries not read count with those the prompt left out (a lower bound when not all were counted). */
export const withEarlier = (cut: WhatWasCut, log: ReadLog): WhatWasCut => ({
  ...cut,
  session_entries: (cut.session_entries ?? 0) + log.earlier,
  ...(log.earlierExact ? {} : { session_entries_at_least: true as const }),
});
