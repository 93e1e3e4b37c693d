/**
 * The consulting result's closing line: what the calling agent must know about how the answer was
 * made — a fallback, the brain unavailable, knowledge or history left out, files skipped, shortened or
 * left out — in one short line of the text itself, since many clients never show structuredContent.
 * Nothing happened, no line.
 */
import type { ConsultationResult } from './consultation-contract.js';

/** Paths named in full before the rest are counted: the line stays short. */
const NAMED = 3;

export function closingLine(result: ConsultationResult): string | null {
  const said: string[] = [];
  if (result.session_started) said.push(`started session ${result.session_id}: pass "session_id": "${result.session_id}" to the later calls of this task, so each sees what the others concluded`);
  if (result.phase_warning) said.push(result.phase_warning);
  const failed = result.attempts.filter((attempt) => attempt.outcome !== 'ok');
  if (result.panel) said.push(panelLine(result.panel));
  else if (failed.length > 0) {
    said.push(`answered by ${result.model} after ${failed.map((a) => `${a.model} failed (${a.status ?? a.outcome})`).join(', ')}`);
  }
  if (result.brain !== 'ok') said.push('the brain was unavailable: answered without knowledge');

  const cut = result.cut;
  const left = [
    count(cut.knowledge, 'brain note'),
    count(cut.history, 'history entry', 'history entries'),
    cut.session_entries ? `${cut.session_entries_at_least ? 'at least ' : ''}${count(cut.session_entries, 'oldest session entry', 'oldest session entries')}` : '',
  ].filter(Boolean);
  if (left.length > 0) said.push(`left out to fit the model's context: ${left.join(', ')}`);
  if (cut.fields.length > 0) said.push(`shortened to fit: ${cut.fields.join(', ')}`);
  if (cut.truncated.length > 0) said.push(`files shortened to fit: ${paths(cut.truncated)}`);
  if (cut.omitted.length > 0) said.push(`files left out to fit: ${paths(cut.omitted)}`);

  const skipped = (result.files ?? []).filter((file) => file.status === 'skipped');
  // By reason: three files the server may not read share one long reason, said once.
  const byReason = new Map<string, string[]>();
  for (const file of skipped) byReason.set(file.reason ?? 'skipped', [...(byReason.get(file.reason ?? 'skipped') ?? []), file.path]);
  for (const [reason, files] of byReason) said.push(`files skipped: ${paths(files)} (${reason})`);

  return said.length > 0 ? `**supervisor:** ${said.join('; ')}.` : null;
}

/** How a panel went: who merged (or that one answer stands alone) and who was left out. */
function panelLine(panel: NonNullable<ConsultationResult['panel']>): string {
  const left = panel.failed.map((f) => `${f.model} (${f.reason === 'too_slow' ? 'too slow' : f.reason})`);
  const without = left.length > 0 ? `; without ${left.join(', ')}` : '';
  if (panel.merged_by) return `a panel of ${panel.answered.length} models answered, merged by ${panel.merged_by}${without}`;
  const why = panel.merge_failed ? `no model could merge the answers (${panel.merge_failed})` : 'it alone of the panel answered';
  return `the answer of ${panel.answered[0]} unmerged: ${why}${without}`;
}

const count = (n: number, one: string, many = `${one}s`) => (n > 0 ? `${n} ${n === 1 ? one : many}` : '');

function paths(list: string[]): string {
  const named = list.slice(0, NAMED).join(', ');
  return list.length > NAMED ? `${named} and ${list.length - NAMED} more` : named;
}
