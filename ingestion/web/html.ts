/**
 * HTML for the brain's web page, escaped by construction: `html` escapes every value put into it
 * (notes, session logs and search terms are untrusted text) unless the value is itself `html`. Attribute
 * values are always written in double quotes, and links are built by `href`, which only makes paths
 * of this page, so no value can become markup, an attribute or a `javascript:` URL.
 */

/** Markup that is already safe to send. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map((item: Value) => render(item)).join('');
  if (value === null || value === undefined || value === false) return '';
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A template whose values are escaped (lists are joined, null/undefined/false left out). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let markup = strings[0] ?? '';
  values.forEach((value, i) => (markup += render(value) + (strings[i + 1] ?? '')));
  return new Html(markup);
}

/** A link to a page of this site: `path` is one of ours, the parameters are encoded. */
export function href(path: `/${string}`, params: Record<string, string | number | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** A link to a note's page. */
export function noteLink(path: string, label: string): Html {
  return html`<a href="${href('/web/note', { path })}">${label}</a>`;
}

/** The hidden field every form of the page carries (auth.ts checks it on each POST). */
export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

/** A table with one header row; `empty` is the row shown, spanning every column, when there are no rows. */
export function table(heads: readonly string[], rows: readonly Html[], empty?: string): Html {
  const header = heads.map((head) => html`<th>${head}</th>`);
  const none = empty === undefined ? '' : html`<tr><td colspan="${heads.length}">${empty}</td></tr>`;
  return html`<table><thead><tr>${header}</tr></thead><tbody>${rows.length ? rows : none}</tbody></table>`;
}

/** The links between the pages of a listing: back to the first (on a later page) and on to the next. */
export function pager(first: string | null, next: string | null): Html {
  const back = first ? html`<a href="${first}">First page</a>` : '';
  return html`<div class="pager">${back}${next ? html`<a rel="next" href="${next}">Next page</a>` : ''}</div>`;
}

/** An ISO timestamp to the second, as the page shows it: `2026-01-02 03:04:05`. */
export function when(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

/** A text cut to `max` characters, on one line. */
export function short(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

export interface PageFrame {
  title: string;
  /** Which tab is current. */
  section: 'notes' | 'sessions' | 'status' | 'signin';
  /** Whether a sign-out button is shown (a token is configured and the visitor is signed in). */
  signedIn: boolean;
  csrf: string;
  body: Html;
}

const TABS = [
  { section: 'notes', path: '/', label: 'Notes' },
  { section: 'sessions', path: '/web/sessions', label: 'Sessions' },
  { section: 'status', path: '/web/status', label: 'Problems & scores' },
] as const;

/** The whole document: no script anywhere; the style sheet is served from /web/style.css. */
export function page({ title, section, signedIn, csrf, body }: PageFrame): string {
  const tabs =
    section === 'signin'
      ? ''
      : html`<nav>${TABS.map((tab) => html`<a href="${tab.path}"${tab.section === section ? html` aria-current="page"` : ''}>${tab.label}</a>`)}${
          signedIn
            ? html`<form method="post" action="/web/signout" class="signout">${csrfField(csrf)}<button type="submit">Sign out</button></form>`
            : ''
        }</nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · supervisor brain</title>
<link rel="stylesheet" href="/web/style.css">
</head>
<body>
<header><strong>supervisor brain</strong>${tabs}</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.markup;
}
