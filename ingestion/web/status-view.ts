/** The problems-and-scores page: notes whose frontmatter does not parse, and the eval scoreboard. */
import type { MalformedNote } from '../malformed-notes.js';
import { html, href, type Html } from './html.js';
import type { ScoreboardView } from './sources.js';

export interface StatusView {
  malformed: MalformedNote[];
  malformedTotal: number;
  /** Undefined: this service is not given the scoreboards (team mode). */
  scoreboard: { board: ScoreboardView; path: string } | { problem: string } | null | undefined;
}

function malformedPart(view: StatusView): Html {
  const rows = view.malformed.map(
    (note) => html`<tr><td><a href="${href('/web/note', { path: note.path })}">${note.path}</a></td><td>${note.problem}</td><td class="muted">${note.seen.replace('T', ' ').slice(0, 19)}</td></tr>`,
  );
  return html`<h2>Notes that do not parse</h2>
<p class="muted">Notes whose frontmatter the index could not read, as it last read them (a note is read when it changes, and every note when the index is built; the index keeps what it read across restarts). They are searched by their body only.${
    view.malformedTotal > view.malformed.length ? ` The newest ${view.malformed.length} of ${view.malformedTotal} are shown.` : ''
  }</p>
<table><thead><tr><th>Note</th><th>Why</th><th>Seen</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="3">None: every note read parses.</td></tr>`}</tbody></table>`;
}

function scoreboardPart(scoreboard: StatusView['scoreboard']): Html {
  if (scoreboard === undefined) {
    return html`<h2>Eval scoreboard</h2><p class="notice">This brain service runs on its own (team mode), so it is not given the <code>supervisor eval</code> scoreboards: they are kept beside the MCP server (SUPERVISOR_EVAL_DIR).</p>`;
  }
  if (scoreboard === null) return html`<h2>Eval scoreboard</h2><p>No scoreboard yet: <code>supervisor eval</code> keeps one per run.</p>`;
  if ('problem' in scoreboard) return html`<h2>Eval scoreboard</h2><p class="notice">The newest scoreboard cannot be shown: ${scoreboard.problem}.</p>`;
  const { board, path } = scoreboard;
  const rows = board.scores.map(
    (s) => html`<tr><td>${s.skill}</td><td>${s.model}</td><td class="num">${s.passed} / ${s.total}</td><td class="num">${(s.rate * 100).toFixed(0)} % (${(s.interval[0] * 100).toFixed(0)}–${(s.interval[1] * 100).toFixed(0)} %)</td><td class="num">${
      s.latency_ms ? `${(s.latency_ms.p50 / 1000).toFixed(1)} s / ${(s.latency_ms.p95 / 1000).toFixed(1)} s` : '—'
    }</td></tr>`,
  );
  return html`<h2>Eval scoreboard</h2>
<p class="muted">The newest run, ${board.date} (LiteLLM ${board.litellm}, each case ${board.repeat} time${board.repeat === 1 ? '' : 's'}): <code>${path}</code></p>
<table><thead><tr><th>Skill</th><th>Model</th><th>Passed</th><th>Rate (95 % interval)</th><th>Latency p50 / p95</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function statusBody(view: StatusView): Html {
  return html`${malformedPart(view)}
${scoreboardPart(view.scoreboard)}`;
}
