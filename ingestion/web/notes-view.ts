/** The notes pages: the listing and the search, one note with its frontmatter, and its edit form. */
import YAML from 'yaml';
import type { NoteSummary, SearchHit } from '../../common/brain-contract.js';
import type { Note } from '../brain.js';
import { csrfField, html, href, noteLink, pager, table, type Html } from './html.js';
import type { SavedBy } from './marks.js';

function mark(by: SavedBy | undefined | null): Html | '' {
  return by ? html`<span class="mark" title="saved by the ${by} tool (source: ${by})">saved by ${by}</span>` : '';
}

export interface ListingView {
  prefix: string;
  notes: NoteSummary[];
  next: string | null;
  /** Whether this is a later page (a link back to the first is shown). */
  later: boolean;
  total: number;
  marks: Map<string, SavedBy>;
}

function searchForm(q: string, prefix: string): Html {
  return html`<form class="search" method="get" action="/" role="search">
<input type="search" name="q" value="${q}" placeholder="Search the notes (words or a question)" aria-label="Search the notes">
<input type="text" name="prefix" value="${prefix}" placeholder="folder, e.g. testing/" aria-label="Only notes under this folder (listing)">
<button type="submit">Search</button>
</form>`;
}

export function listingBody(view: ListingView): Html {
  const rows = view.notes.map(
    (note) => html`<tr><td>${noteLink(note.path, note.title)}${mark(view.marks.get(note.path))}</td><td class="muted">${note.path}</td></tr>`,
  );
  return html`${searchForm('', view.prefix)}
<p class="muted">${view.total} notes in the brain${view.prefix ? html`; listing those under <code>${view.prefix}</code>` : ''}, by path, ${view.notes.length} on this page.</p>
${table(['Title', 'Path'], rows, 'No notes here.')}
${pager(view.later ? href('/', { prefix: view.prefix }) : null, view.next ? href('/', { prefix: view.prefix, after: view.next }) : null)}`;
}

export function searchBody(q: string, prefix: string, hits: SearchHit[], marks: Map<string, SavedBy>): Html {
  const rows = hits.map(
    (hit) =>
      html`<tr><td class="num">${hit.score.toFixed(2)}</td><td>${noteLink(hit.path, hit.title)}${mark(marks.get(hit.path))}<div class="muted">${hit.path}</div><div>${hit.excerpt}</div></td></tr>`,
  );
  return html`${searchForm(q, prefix)}
<p class="muted">${hits.length} best matches for “${q}” (the score is comparable within this answer only). <a href="/">All notes</a></p>
${table(['Score', 'Note and the passage that matched'], rows, 'Nothing matched.')}`;
}

export interface NoteView {
  note: Note;
  by: SavedBy | null;
  /** Why the frontmatter did not parse, if it did not. */
  problem: string | undefined;
  csrf: string;
  /** Shown above the note: saved, or a refused edit (then `draft` keeps the user's text). */
  notice?: { kind: 'ok' | 'notice'; text: string } | undefined;
  draft?: string | undefined;
}

export function noteBody({ note, by, problem, csrf, notice, draft }: NoteView): Html {
  const frontmatter = Object.keys(note.frontmatter).length ? YAML.stringify(note.frontmatter) : '(none)';
  return html`${notice ? html`<p class="${notice.kind}" role="status">${notice.text}</p>` : ''}
${problem ? html`<p class="notice">The frontmatter of this note does not parse: ${problem}. The note is searched by its body only.</p>` : ''}
<dl>
<dt>Path</dt><dd>${note.path}${mark(by)}</dd>
<dt>Type</dt><dd>${note.type ?? '—'}</dd>
<dt>Domain</dt><dd>${note.domain ?? '—'}</dd>
<dt>Tags</dt><dd>${note.tags.length ? note.tags.join(', ') : '—'}</dd>
<dt>sha256</dt><dd><code>${note.sha256}</code></dd>
</dl>
<h2>Frontmatter</h2>
<pre class="frontmatter">${frontmatter}</pre>
<h2>Body</h2>
<pre class="note-body">${note.body}</pre>
${editForm(note.path, note.sha256, draft ?? note.text, csrf, draft !== undefined)}`;
}

/**
 * The edit form: the whole file as written, and the hash of the version it was read from, so the
 * write is conditional. A newline right after <textarea> is dropped by HTML parsers; one is added so
 * that a note starting with a blank line keeps it.
 */
function editForm(path: string, sha256: string | null, text: string, csrf: string, kept: boolean): Html {
  return html`<h2 id="edit">Edit</h2>
${kept ? html`<p class="notice">Your text below was not saved. Saving it now replaces the version shown above.</p>` : ''}
<form method="post" action="/web/note" class="edit">
${csrfField(csrf)}
<input type="hidden" name="path" value="${path}">
${sha256 ? html`<input type="hidden" name="sha256" value="${sha256}">` : ''}
<textarea name="content" aria-label="The note's file, frontmatter included">
${text}</textarea>
<p><button type="submit">Save</button> <span class="muted">Saved only if nobody changed the note since it was shown.</span></p>
</form>`;
}

/** A refused edit of a note that no longer exists: the user's text, ready to save it anew. */
export function goneBody(path: string, draft: string, csrf: string): Html {
  return html`<p class="notice" role="status">${path} was removed since you opened it. Your text is below, not saved; saving it creates the note again.</p>
${editForm(path, null, draft, csrf, false)}`;
}
