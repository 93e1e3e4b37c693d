/**
 * What each check of `supervisor doctor` finds: one line each, ok, a warning (works, but worth a
 * look) or a problem (something will fail; the line says what to do). Any problem makes the exit
 * code 1, so a script can gate on it.
 */
export type Verdict = 'ok' | 'warn' | 'problem';

export interface Finding {
  verdict: Verdict;
  text: string;
}

export const ok = (text: string): Finding => ({ verdict: 'ok', text });
export const warn = (text: string): Finding => ({ verdict: 'warn', text });
export const problem = (text: string): Finding => ({ verdict: 'problem', text });

const LABEL: Record<Verdict, string> = { ok: 'ok     ', warn: 'warn   ', problem: 'PROBLEM' };

/** The line printed for a finding: a fixed-width label first, so the problems stand out in a column. */
export const findingLine = ({ verdict, text }: Finding): string => `${LABEL[verdict]}  ${text}`;

/** The closing line: how many problems and warnings, or that all is well. */
export function summaryLine(findings: readonly Finding[]): string {
  const problems = findings.filter((f) => f.verdict === 'problem').length;
  const warnings = findings.filter((f) => f.verdict === 'warn').length;
  if (problems === 0 && warnings === 0) return 'all is well';
  const counts = [problems > 0 ? `${problems} problem(s)` : '', warnings > 0 ? `${warnings} warning(s)` : ''].filter(Boolean).join(', ');
  return problems > 0 ? `${counts}: fix the lines marked PROBLEM` : `${counts}, no problem`;
}

/** A duration for a person: milliseconds below a second, else seconds or minutes. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Math.round(ms / 60_000)} min`;
}
