/**
 * Builds the two messages of a consulting call (DESIGN.md §4) and fits them to the model's context
 * window: the discipline and the task first, then the brain's notes, then the newest history.
 * Whatever had to be left out is reported, never dropped silently.
 */
import type { SearchHit } from '../../ingestion/search-index.js';
import { formatHistory, type SessionEntry } from '../session/log.js';

export interface Attachment {
  path: string;
  content: string;
}

export interface Task {
  phase: string;
  projectRoot: string | null;
  /** The call's own arguments, labelled, in the order the model should read them. */
  fields: Array<[label: string, value: string]>;
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

export interface WhatWasCut {
  knowledge: number;
  history: number;
  /** Attachments shortened to fit, by path. */
  truncated: string[];
}

export interface Prompt {
  system: string;
  user: string;
  knowledgeUsed: SearchHit[];
  historyUsed: number;
  cut: WhatWasCut;
}

/** History is a short list (DESIGN.md §6): the recent calls say where the session is; older ones add little. */
export const MAX_HISTORY_ENTRIES = 20;

/** A rough token count: about four characters a token for English and code. Errs on the large side. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 3.5);

/** Room left for the answer: a quarter of the window, at most 4k tokens. */
export const answerReserve = (contextWindow: number) => Math.min(4096, Math.floor(contextWindow / 4));

export function assemblePrompt(input: PromptInput): Prompt {
  const system = `${input.protocols.trim()}\n\n---\n\n${input.discipline.trim()}\n`;
  let budget = input.contextWindow - answerReserve(input.contextWindow) - estimateTokens(system);
  const cut: WhatWasCut = { knowledge: 0, history: 0, truncated: [] };

  const task = renderTask(fitAttachments(input.task, budget, cut));
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

function renderTask(task: Task): string {
  const lines = [`## Task`, '', `**Phase:** ${task.phase}`];
  if (task.projectRoot) lines.push(`**Project root:** ${task.projectRoot}`);
  for (const [label, value] of task.fields) {
    lines.push(value.includes('\n') ? `**${label}:**\n${value}` : `**${label}:** ${value}`);
  }
  if (task.attachments.length > 0) {
    lines.push('', '### Attached code');
    for (const file of task.attachments) lines.push('', `#### \`${file.path}\``, fenced(numbered(file.content), ''));
  }
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
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${content}\n${fence}`;
}

/**
 * When the task with its code does not fit, the largest attachment is shortened first (its
 * beginning kept), then the next, until it fits or nothing is left to shorten.
 */
function fitAttachments(task: Task, budget: number, cut: WhatWasCut): Task {
  const MIN_CHARS = 200;
  const kept = task.attachments.map((a) => a.content.length);
  const build = (): Task => ({ ...task, attachments: task.attachments.map((a, i) => ({ path: a.path, content: shorten(a.content, kept[i] ?? 0) })) });
  for (;;) {
    const excessChars = Math.ceil((estimateTokens(renderTask(build())) - budget) * 3.5);
    if (excessChars <= 0) break;
    const largest = kept.reduce((best, size, i) => (size > MIN_CHARS && (best < 0 || size > (kept[best] ?? 0)) ? i : best), -1);
    if (largest < 0) break; // nothing left to shorten: the model gets the task as it is
    kept[largest] = Math.max(MIN_CHARS, (kept[largest] ?? 0) - excessChars - 100);
  }
  task.attachments.forEach((a, i) => {
    if ((kept[i] ?? 0) < a.content.length) cut.truncated.push(a.path);
  });
  return build();
}

function shorten(text: string, keep: number): string {
  if (keep >= text.length) return text;
  return `${text.slice(0, keep)}\n… [cut: ${text.length - keep} more characters did not fit the model's context]`;
}
