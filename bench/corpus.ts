import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthetic brains: notes whose words follow a Zipf distribution over a 30k-word vocabulary
 * (like natural text, a few words are everywhere and most are rare), with frontmatter like the
 * notes people and the trainer write. Deterministic for a given seed, so runs compare.
 *
 * Two corpora. `zipf` draws content words from the invented vocabulary only, so every content word
 * is fairly rare: it flatters an index. `common` is closer to real engineering notes: a few dozen
 * real words that are not stop words ("test", "error", "data", "request"…) each appear in a large
 * share of the notes, as they do in a team's notes, and queries carry them too.
 */

export const CORPORA = ['zipf', 'common'] as const;
export type Corpus = (typeof CORPORA)[number];

/**
 * Words of engineering prose that are not stop words, most frequent first: with the share of words
 * drawn from them below, the first dozen land in most notes of a few hundred words, the last in a few
 * percent, as in real notes.
 */
const COMMON = `test error data request code change call file value function service time case need run
  check return user type set config build fail new version issue add result line work log update server
  client response api query handle read write state message team start problem fix default path cache
  retry timeout review deploy schema field list order limit`.split(/\s+/).filter(Boolean);
/** Share of a `common` note's words drawn from COMMON (Zipf over its ranks). */
const COMMON_SHARE = 0.2;

export interface SyntheticNote {
  path: string;
  text: string;
}

const SYLLABLES = `ka ri to mu se na lo vi de pa zu ne mo ta ki ru so ha be ly co fi gu je pe wa xo yu qi
  an el in or um ex al en is on ur ar er ol ip at`.split(/\s+/).filter(Boolean);
const TYPES = ['pattern', 'correction', 'decision', 'howto', 'gotcha'];
const DOMAINS = ['testing', 'api', 'database', 'frontend', 'deploy', 'security', 'performance', 'tooling'];
const FILLER = `the a of to and in is that for it with as on be this by are or from at an was not but can
  when should how what why which if then use using`.split(/\s+/).filter(Boolean);

export class Rng {
  constructor(private state: number) {}
  /** mulberry32: tiny, fast and good enough to spread words. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

export class Vocabulary {
  readonly words: string[];
  private readonly cumulative: Float64Array;

  constructor(size = 30_000, seed = 7) {
    const rng = new Rng(seed);
    const seen = new Set<string>();
    while (seen.size < size) {
      const parts = 2 + rng.int(3);
      let word = '';
      for (let i = 0; i < parts; i++) word += rng.pick(SYLLABLES);
      seen.add(word);
    }
    this.words = [...seen];
    this.cumulative = new Float64Array(size);
    let total = 0;
    for (let rank = 0; rank < size; rank++) {
      total += 1 / (rank + 1);
      this.cumulative[rank] = total;
    }
    for (let rank = 0; rank < size; rank++) this.cumulative[rank] = (this.cumulative[rank] as number) / total;
  }

  /** A word drawn with Zipf probability (rank 0 most frequent). */
  sample(rng: Rng): string {
    const x = rng.next();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo] as string;
  }

  /** A word from a band of ranks: mid-frequency words are what people search for. */
  band(rng: Rng, from: number, to: number): string {
    return this.words[from + rng.int(to - from)] as string;
  }
}

/** A COMMON word, Zipf over its ranks: the first few are in most notes, the last in few. */
function commonWord(rng: Rng): string {
  // inverse of a Zipf-like CDF over the list, cheap enough for generation
  const rank = Math.floor(Math.pow(COMMON.length + 1, rng.next())) - 1;
  return COMMON[Math.min(rank, COMMON.length - 1)] as string;
}

function sentence(rng: Rng, vocab: Vocabulary, words: number, corpus: Corpus): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const x = rng.next();
    out.push(x < 0.35 ? rng.pick(FILLER) : corpus === 'common' && x < 0.35 + COMMON_SHARE ? commonWord(rng) : vocab.sample(rng));
  }
  return out.join(' ');
}

export function makeNote(index: number, vocab: Vocabulary, seed = 1, corpus: Corpus = 'zipf'): SyntheticNote {
  const rng = new Rng(seed * 1_000_003 + index);
  const title = sentence(rng, vocab, 3 + rng.int(4), corpus);
  const tags = Array.from({ length: 1 + rng.int(3) }, () => vocab.band(rng, 200, 400));
  const paragraphs = Array.from({ length: 2 + rng.int(4) }, () => sentence(rng, vocab, 40 + rng.int(80), corpus));
  const text = [
    '---',
    `title: ${title}`,
    `type: ${rng.pick(TYPES)}`,
    `domain: ${rng.pick(DOMAINS)}`,
    `tags: [${tags.join(', ')}]`,
    '---',
    '',
    `# ${title}`,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
  ].join('\n');
  // 100 notes to a folder, as a brain organised by topic would be
  return { path: `d${String(Math.floor(index / 100)).padStart(4, '0')}/note-${index}.md`, text };
}

/**
 * 1–3 mid-frequency words: what a person types into a search box. In the `common` corpus one word
 * in three is a common one ("retry timeout", "test flaky"), as in real searches.
 */
export function keywordQuery(rng: Rng, vocab: Vocabulary, corpus: Corpus = 'zipf'): string {
  const word = () => (corpus === 'common' && rng.next() < 1 / 3 ? commonWord(rng) : vocab.band(rng, 50, 3000));
  return Array.from({ length: 1 + rng.int(3) }, word).join(' ');
}

/**
 * 12–30 words, a third of them stop words: what a consulting call searches with (its own prompt).
 * In the `common` corpus a third of the rest are common words, as in a real prompt.
 */
export function promptQuery(rng: Rng, vocab: Vocabulary, corpus: Corpus = 'zipf'): string {
  const length = 12 + rng.int(19);
  const word = () => {
    const x = rng.next();
    if (x < 0.35) return rng.pick(FILLER);
    return corpus === 'common' && x < 0.57 ? commonWord(rng) : vocab.band(rng, 20, 8000);
  };
  return Array.from({ length }, word).join(' ');
}

/**
 * How the notes are laid out: `folders` puts 100 to a folder, as a brain organised by topic would be;
 * `flat` puts every note in the knowledge folder itself, the worst case for anything that lists a folder.
 */
export const LAYOUTS = ['folders', 'flat'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** The brain folder for this size, corpus and layout, generated once and kept in the temp folder between runs. */
export async function brainFor(notes: number, vocab: Vocabulary, corpus: Corpus = 'zipf', layout: Layout = 'folders'): Promise<{ dir: string; generateMs: number | null }> {
  const name = [corpus === 'zipf' ? '' : `${corpus}-`, layout === 'folders' ? '' : `${layout}-`, notes].join('');
  const dir = join(tmpdir(), 'supervisor-bench', `brain-${name}`);
  if (existsSync(join(dir, 'complete'))) return { dir, generateMs: null };
  await rm(dir, { recursive: true, force: true });
  const started = performance.now();
  await mkdir(join(dir, 'knowledge'), { recursive: true });
  for (let i = 0; i < notes; i++) {
    const note = makeNote(i, vocab, 1, corpus);
    const path = layout === 'flat' ? note.path.slice(note.path.indexOf('/') + 1) : note.path;
    if (layout === 'folders' && i % 100 === 0) await mkdir(join(dir, 'knowledge', path, '..'), { recursive: true });
    await writeFile(join(dir, 'knowledge', path), note.text);
  }
  await writeFile(join(dir, 'complete'), '');
  return { dir, generateMs: Math.round(performance.now() - started) };
}
