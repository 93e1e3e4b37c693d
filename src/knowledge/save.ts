/**
 * Drafted entries into the brain, never a second copy: each entry is checked against the notes the
 * brain's search finds for it (read in full) and against the entries saved before it in the same
 * call, then created, appended to the note it restates when it adds something, or skipped. An
 * append is conditional on the note being as it was read (expected_sha256); when another writer
 * changed it meanwhile, the entry is checked again against the new version (up to WRITE_ATTEMPTS
 * writes). A create whose name another writer took meanwhile compares the entry with the note at that
 * name before trying another name: writers racing to save the same lesson (several MCP replicas on
 * one brain) converge on one note instead of `-2`, `-3` copies. Within one process, the calls'
 * saves take turns (inTurn in src/tools/session-review.ts). A brain that fails or refuses costs the
 * entry, said in its outcome, never the call.
 */
import type { NoteResponse, SearchHit, WriteRequest, WriteResult } from '../../common/brain-contract.js';
import { cutToBytes } from '../../common/utf8.js';
import { BrainRefused, BrainUnavailable } from '../brain/client.js';
import { firstTerms } from '../consult/knowledge.js';
import type { DraftedEntry } from './entries.js';
import { compare, DUPLICATE_RULE, type Candidate, type Comparison, type DuplicateRule } from './near-duplicate.js';

/** Notes the search returns per entry: the labelled set's duplicates were the first hit every time (docs/knowledge-loop.md). */
export const CANDIDATES = 5;
/** Names tried for a new note when the one from its title is taken by a different note. */
const NAME_ATTEMPTS = 3;
/**
 * Writes tried for one entry: creates under another name, appends after another writer changed the
 * note. Each retry follows a write that another writer won, so N racers need up to N; the bound keeps
 * a note that never stops changing from holding the call.
 */
export const WRITE_ATTEMPTS = 5;
/** A generated name's bytes (UTF-8): well inside the brain's 200 per name, with room for `-N` and `.md`. */
const SLUG_BYTES = 120;
const SLUG_CHARS = 60;

/** What saving needs of the brain: BrainClient's search, read and write. */
export interface NoteStore {
  search(query: { query: string; limit: number }): Promise<SearchHit[]>;
  read(path: string): Promise<NoteResponse>;
  write(note: WriteRequest): Promise<WriteResult>;
}

export interface SaveContext {
  /** The tool that drafted the entries: the notes' `source`. */
  source: 'trainer' | 'retrospective';
  /** The session reviewed: the notes' `session_id`. */
  sessionId: string;
  now?: Date;
  rule?: DuplicateRule;
}

export type SavedEntry =
  | { title: string; outcome: 'created'; path: string }
  | { title: string; outcome: 'appended'; path: string; similarity: number }
  | { title: string; outcome: 'skipped'; path: string; similarity: number }
  | { title: string; outcome: 'failed'; error: string };

/** Saves the entries in order; the result says what became of each. */
export async function saveEntries(store: NoteStore, entries: readonly DraftedEntry[], context: SaveContext): Promise<SavedEntry[]> {
  const saved: SavedEntry[] = [];
  const run: RunSoFar = { written: new Set(), unwritten: [] };
  let unavailable: string | null = null;
  for (const [i, entry] of entries.entries()) {
    let outcome: SavedEntry;
    if (unavailable) {
      outcome = { title: entry.title, outcome: 'failed', error: `not tried: ${unavailable}` };
    } else {
      try {
        outcome = await saveOne(store, entry, run, context);
      } catch (error) {
        // An unreachable brain is unreachable for the next entry too: the rest are not tried.
        if (error instanceof BrainUnavailable) unavailable = 'the brain is unavailable';
        outcome = { title: entry.title, outcome: 'failed', error: describeFailure(error) };
      }
    }
    if (outcome.outcome === 'created' || outcome.outcome === 'appended') run.written.add(outcome.path);
    if (outcome.outcome === 'failed') run.unwritten.push({ path: `entry ${i + 1} of this call`, title: entry.title, body: entry.body });
    saved.push(outcome);
  }
  return saved;
}

/** What the call saved so far: later entries are checked against it, whether or not the search finds it. */
interface RunSoFar {
  /** Notes this call created or appended to. */
  written: Set<string>;
  /** Entries this call could not write: a later one restating them is not written either. */
  unwritten: Candidate[];
}

async function saveOne(store: NoteStore, entry: DraftedEntry, run: RunSoFar, context: SaveContext): Promise<SavedEntry> {
  const rule = context.rule ?? DUPLICATE_RULE;
  const { notes, best } = await nearest(store, entry, run.written, rule);
  const sameAsUnwritten = run.unwritten.length > 0 ? compare(entry, run.unwritten, rule)[0] : undefined;
  if (sameAsUnwritten && sameAsUnwritten.score >= rule.threshold && (!best || sameAsUnwritten.score > best.score)) {
    return { title: entry.title, outcome: 'skipped', path: sameAsUnwritten.path, similarity: round(sameAsUnwritten.score) };
  }
  const writing: Writing = { store, entry, context, rule, writesLeft: WRITE_ATTEMPTS };
  if (!best || best.score < rule.threshold) return create(writing);
  return merge(writing, notes.get(best.path)!, best);
}

/** One entry being written: what create and merge share, and the writes it may still try. */
interface Writing {
  store: NoteStore;
  entry: DraftedEntry;
  context: SaveContext;
  rule: DuplicateRule;
  writesLeft: number;
}

/** Tries one write of the entry, counting it against WRITE_ATTEMPTS. */
function tryWrite(writing: Writing, note: WriteRequest): Promise<WriteResult> {
  writing.writesLeft--;
  return writing.store.write(note);
}

/** The candidates read in full, and the one the entry is closest to. */
async function nearest(store: NoteStore, entry: DraftedEntry, written: Set<string>, rule: DuplicateRule) {
  const notes = await candidatesFor(store, entry, written);
  const best = notes.length > 0 ? compare(entry, notes, rule)[0] : undefined;
  return { notes: new Map(notes.map((note) => [note.path, note])), best };
}

/**
 * The notes an entry is compared with, read in full: the search's first CANDIDATES hits for its title
 * and lesson, and the notes this call wrote. The evaluation (bench/duplicate-eval.ts) calls it too.
 */
export async function candidatesFor(store: NoteStore, entry: Pick<DraftedEntry, 'title' | 'lesson'>, written: ReadonlySet<string> = new Set()): Promise<NoteResponse[]> {
  const query = firstTerms(`${entry.title}\n${entry.lesson}`);
  const hits = query ? await store.search({ query, limit: CANDIDATES }) : [];
  const paths = [...new Set([...hits.map((hit) => hit.path), ...written])];
  return (await Promise.all(paths.map((path) => readIfThere(store, path)))).filter((note): note is NoteResponse => note !== null);
}

/**
 * A note as it is now; null when it was removed since the search found it, or has grown too large to
 * be read whole (422): an entry cannot be compared with it, nor appended to it.
 */
async function readIfThere(store: NoteStore, path: string): Promise<NoteResponse | null> {
  try {
    return await store.read(path);
  } catch (error) {
    if (error instanceof BrainRefused && (error.status === 404 || error.status === 422)) return null;
    throw error;
  }
}

/**
 * The entry restates `note`: skipped, or its new sentences appended — if the note is still as read.
 * When another writer changed it meanwhile (409), it is read again and the entry decided again:
 * skipped when the new version says it all, created when it no longer restates it.
 */
async function merge(writing: Writing, note: NoteResponse, found: Comparison): Promise<SavedEntry> {
  const { store, entry, context, rule } = writing;
  let current = note;
  let comparison = found;
  for (;;) {
    if (comparison.newSentences.length === 0) return { title: entry.title, outcome: 'skipped', path: current.path, similarity: round(comparison.score) };
    try {
      await tryWrite(writing, { filename: current.path, mode: 'append', expected_sha256: current.sha256, content: addition(comparison.newSentences, context) });
      return { title: entry.title, outcome: 'appended', path: current.path, similarity: round(comparison.score) };
    } catch (error) {
      if (!(error instanceof BrainRefused && error.status === 409 && error.sha256 !== undefined) || writing.writesLeft <= 0) throw error;
      const again = await readIfThere(store, current.path);
      if (!again) return create(writing);
      current = again;
      comparison = compare(entry, [current], rule)[0]!;
      if (comparison.score < rule.threshold) return create(writing);
    }
  }
}

/** What an append adds: the entry's new sentences under a heading that says where they came from. */
function addition(sentences: string[], context: SaveContext): string {
  const day = (context.now ?? new Date()).toISOString().slice(0, 10);
  const lines = sentences.map((s) => (s.startsWith('```') || s.startsWith('~~~') || /^\s*[-*]\s/.test(s) ? s : `- ${s}`));
  return `### Added by ${context.source}, ${day} (session ${context.sessionId})\n\n${lines.join('\n')}\n`;
}

/**
 * A new note: in the entry's domain folder, named from its title. A name that is taken (409) is
 * first compared with the entry: another writer may have saved the same lesson there a moment ago
 * (a racing call of another MCP replica), and then the entry is skipped or appended to it, as if the
 * search had found it. Only a note with another lesson sends the entry to the next name.
 */
async function create(writing: Writing): Promise<SavedEntry> {
  const { store, entry, context, rule } = writing;
  const base = slug(entry.title) || 'entry';
  const folder = entry.domain ? `${entry.domain}/` : '';
  for (let attempt = 1; ; attempt++) {
    const filename = `${folder}${base}${attempt === 1 ? '' : `-${attempt}`}`;
    try {
      const result = await tryWrite(writing, {
        filename,
        mode: 'create',
        content: `${entry.body}\n`,
        title: entry.title,
        ...(entry.type ? { type: entry.type } : {}),
        ...(entry.domain ? { domain: entry.domain } : {}),
        ...(entry.tags.length > 0 ? { tags: entry.tags } : {}),
        source: context.source,
        session_id: context.sessionId,
      });
      return { title: entry.title, outcome: 'created', path: result.path };
    } catch (error) {
      if (!(error instanceof BrainRefused && error.status === 409) || writing.writesLeft <= 0) throw error;
      const taken = await readIfThere(store, error.path ?? `${filename}.md`);
      const comparison = taken ? compare(entry, [taken], rule)[0] : undefined;
      if (taken && comparison && comparison.score >= rule.threshold) return merge(writing, taken, comparison);
      if (attempt >= NAME_ATTEMPTS) throw error;
    }
  }
}

/**
 * A file name from a title: lowercase words of any script joined by dashes, at most SLUG_CHARS
 * characters and SLUG_BYTES bytes — cut at a character, never inside one: the brain counts a name's
 * limit in bytes, and a character of a 4-byte script (Gothic, CJK Extension B) takes 4.
 */
export function slug(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return cutToBytes(Array.from(words).slice(0, SLUG_CHARS).join(''), SLUG_BYTES).replace(/-+$/, '');
}

function describeFailure(error: unknown): string {
  if (error instanceof BrainRefused) return `the brain refused it (${error.status}): ${error.message}`;
  if (error instanceof BrainUnavailable) return `the brain is unavailable: ${error.message}`;
  return `not saved: ${(error as Error).message}`;
}

const round = (n: number) => Math.round(n * 100) / 100;

