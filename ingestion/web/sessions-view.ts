/** The sessions pages: the session logs newest first, and one session's calls. */
import { html, href, noteLink, pager, short, table, when, type Html } from './html.js';
import type { LoggedCall } from './sources.js';

export interface SessionRow {
  id: string;
  modified?: string | undefined;
  bytes?: number | undefined;
  /** The first call: its skill and what it was asked (its arguments in short). */
  first: LoggedCall | null;
  /** Skills seen in the parts of the log read (its start and its end). */
  skills: string[];
  calls: number;
}

/** A call's task in short: its arguments as logged, by name. */
function taskOf(call: LoggedCall, max = 160): string {
  const args = Object.entries(call.arguments ?? {}).map(([name, value]) => `${name}: ${value}`);
  return args.length ? short(args.join(' · '), max) : '(no arguments logged)';
}

export function sessionsBody(rows: SessionRow[], order: string, next: string | null, later: boolean, dir: string): Html {
  const body = rows.map(
    (row) => html`<tr>
<td><a href="${href('/web/session', { id: row.id })}"><code>${row.id}</code></a><div class="muted">${row.modified ? when(row.modified) : ''}</div></td>
<td>${row.first ? html`<strong>${row.first.skill}</strong> ${taskOf(row.first)}` : html`<span class="muted">no readable call</span>`}</td>
<td>${row.skills.join(', ')}</td>
</tr>`,
  );
  return html`<p class="muted">Session logs in <code>${dir}</code>, ${order}.</p>
${table(['Session', 'First task', 'Skills used'], body, 'No session has been logged yet.')}
${pager(later ? '/web/sessions' : null, next ? href('/web/sessions', { after: next }) : null)}`;
}

function attempts(call: LoggedCall): Html {
  if (call.attempts.length === 0) return html`<span class="muted">—</span>`;
  return html`<ol>${call.attempts.map((a) => html`<li>${a.model}: ${a.outcome}${a.status ? ` (${a.status})` : ''}, ${a.ms} ms${a.detail ? html` <span class="muted">${short(a.detail, 200)}</span>` : ''}</li>`)}</ol>`;
}

export function sessionBody(id: string, calls: LoggedCall[], earlier: number, earlierExact: boolean): Html {
  const items = calls.map(
    (call, i) => html`<section class="call">
<h2>${i + 1 + earlier}. ${call.skill}${call.phase !== call.skill ? ` (${call.phase})` : ''} — ${call.final_status}</h2>
<dl>
<dt>Time</dt><dd>${when(call.timestamp)} · ${(call.duration_ms / 1000).toFixed(1)} s</dd>
<dt>Model</dt><dd>${call.model_used ?? '—'}</dd>
<dt>Attempts</dt><dd>${attempts(call)}</dd>
<dt>Task</dt><dd>${taskOf(call, 600)}</dd>
${call.project_root ? html`<dt>Project</dt><dd><code>${call.project_root}</code></dd>` : ''}
<dt>Notes given</dt><dd>${
      call.knowledge === undefined
        ? html`<span class="muted">not logged (a line from before the log named them)</span>`
        : call.knowledge.length
          ? call.knowledge.map((path, at) => html`${at ? ', ' : ''}${noteLink(path, path)}`)
          : 'none'
    }</dd>
</dl>
<details${calls.length <= 3 ? html` open` : ''}><summary>${call.final_status === 'ok' ? 'Answer' : 'Error'}${
      call.message_chars !== undefined && call.message_chars > call.message.length ? ` (first ${call.message.length} of ${call.message_chars} characters)` : ''
    }</summary><pre class="answer">${call.message}</pre></details>
</section>`,
  );
  const before = earlier > 0 ? html`<p class="muted">${earlierExact ? '' : 'at least '}${earlier} earlier lines of this log are not shown (only its end is read).</p>` : '';
  return html`<p class="muted">Session <code>${id}</code>: ${calls.length} calls shown, oldest first. <a href="/web/sessions">All sessions</a></p>
${before}${items.length ? items : html`<p>No readable call in this session's log.</p>`}`;
}
