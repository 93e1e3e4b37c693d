/** The problems-and-scores page: notes whose frontmatter does not parse, and the eval scoreboard. */
import type { MalformedNote } from '../malformed-notes.js';
import { html, noteLink, table, when, type Html } from './html.js';
import type { KeptScoreboard } from './sources.js';

export interface StatusView {
  malformed: MalformedNote[];
  malformedTotal: number;
  /** Undefined: this service is not given the scoreboards (team mode). */
  scoreboard: KeptScoreboard | undefined;
}

function malformedPart(view: StatusView): Html {
  const rows = view.malformed.map(
    (note) => html`<tr><td>${noteLink(note.path, note.path)}</td><td>${note.problem}</td><td class="muted">${when(note.seen)}</td></tr>`,
  );
  return html`<p class="muted">Notes whose frontmatter the index could not read, as it last read them (a note is read when it changes, and every note when the index is built; the index keeps what it read across restarts). They are searched by their body only.${
    view.malformedTotal > view.malformed.length ? ` The newest ${view.malformed.length} of ${view.malformedTotal} are shown.` : ''
  }</p>
${table(['Note', 'Why', 'Seen'], rows, 'None: every note read parses.')}`;
}

function scoreboardPart(scoreboard: StatusView['scoreboard']): Html {
  if (scoreboard === undefined) {
    return html`<p class="notice">This brain service runs on its own (team mode), so it is not given the <code>supervisor eval</code> scoreboards: they are kept beside the MCP server (SUPERVISOR_EVAL_DIR).</p>`;
  }
  if (scoreboard === null) return html`<p>No scoreboard yet: <code>supervisor eval</code> keeps one per run.</p>`;
  if ('problem' in scoreboard) return html`<p class="notice">The newest scoreboard cannot be shown: ${scoreboard.problem}.</p>`;
  const { board, path } = scoreboard;
  const rows = board.scores.map(
    (s) => html`<tr><td>${s.skill}</td><td>${s.model}</td><td class="num">${s.passed} / ${s.total}</td><td class="num">${(s.rate * 100).toFixed(0)} % (${(s.interval[0] * 100).toFixed(0)}–${(s.interval[1] * 100).toFixed(0)} %)</td><td class="num">${
      s.latency_ms ? `${(s.latency_ms.p50 / 1000).toFixed(1)} s / ${(s.latency_ms.p95 / 1000).toFixed(1)} s` : '—'
    }</td></tr>`,
  );
  return html`<p class="muted">The newest run, ${board.date} (LiteLLM ${board.litellm}, each case ${board.repeat} time${board.repeat === 1 ? '' : 's'}): <code>${path}</code></p>
${table(['Skill', 'Model', 'Passed', 'Rate (95 % interval)', 'Latency p50 / p95'], rows)}`;
}

export function statusBody(view: StatusView): Html {
  return html`<h2>Notes that do not parse</h2>
${malformedPart(view)}
<h2>Eval scoreboard</h2>
${scoreboardPart(view.scoreboard)}`;
}
