/**
 * Excerpts: of a note's body, the passage with the most of the query's rarest terms, as FTS5's
 * snippet() chooses it, in one pass over the body. snippet() itself scores each match in a note
 * against every other one, and highlight() rebuilds its whole output string at each match: both are
 * quadratic in the matches inside one note (80 s for one word written 80,000 times). Measured:
 * docs/search.md. Runs in the reader threads, beside the index (search-index.ts).
 */

export const EXCERPT_MAX_CHARS = 300;
/** Tokens in an excerpt, as FTS5's snippet() counted them: about 250 characters of prose. */
const EXCERPT_TOKENS = 40;
/**
 * Distinct word forms of one note looked up through FTS5's tokenizer to learn whether they are one
 * of the query's terms (its porter stem); forms past it count as no match. Only forms that can be a
 * term get that far (see TermMatcher), so an ordinary note needs a few dozen; this bounds a note
 * written with a hundred thousand different words starting like a query term.
 */
const EXCERPT_FORMS = 500;

/** One line of at most EXCERPT_MAX_CHARS, cut at a word boundary. */
export function tidyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= EXCERPT_MAX_CHARS) return flat;
  const cut = flat.slice(0, EXCERPT_MAX_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > EXCERPT_MAX_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/*
 * The same choice as snippet() makes: the same tokens (unicode61's letters, numbers and combining
 * marks), the same match test (FTS5's own tokenizer stems each candidate word form) and the same
 * scoring of windows.
 */

/** Where each token of a text starts and ends (UTF-16 offsets), `count` of them. */
interface TextTokens {
  starts: Int32Array;
  ends: Int32Array;
  count: number;
}

/** The query terms' matches in a body, in order of position: token index and which term (FTS5's phrase). */
interface TermMatches {
  positions: Int32Array;
  terms: Int32Array;
  count: number;
}

const TOKEN_CHAR = /[\p{L}\p{N}\p{Mn}]/u;
/** Per BMP code unit above ASCII: 0 not yet seen, 1 a token character, 2 a separator. */
const bmpClass = new Uint8Array(0x10000);
const astralClass = new Map<number, boolean>();

function isTokenChar(code: number): boolean {
  if (code < 0x10000) {
    if (bmpClass[code] === 0) bmpClass[code] = TOKEN_CHAR.test(String.fromCharCode(code)) ? 1 : 2;
    return bmpClass[code] === 1;
  }
  let known = astralClass.get(code);
  if (known === undefined) {
    known = TOKEN_CHAR.test(String.fromCodePoint(code));
    astralClass.set(code, known);
  }
  return known;
}

/** The tokens of `text` as FTS5's unicode61 tokenizer splits it; a loop over code units, not a regex, which took 4 times longer. */
function tokenize(text: string): TextTokens {
  const capacity = (text.length >> 1) + 1; // a token and a separator take two code units at least
  const starts = new Int32Array(capacity);
  const ends = new Int32Array(capacity);
  let count = 0;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let token: boolean;
    let width = 1;
    if (code < 0x80) {
      const lower = code | 0x20;
      token = (code >= 0x30 && code <= 0x39) || (lower >= 0x61 && lower <= 0x7a);
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const point = text.codePointAt(i) ?? code;
      if (point > 0xffff) width = 2;
      token = isTokenChar(point);
    } else {
      token = isTokenChar(code);
    }
    if (token && !inToken) {
      starts[count] = i;
      inToken = true;
    } else if (!token && inToken) {
      ends[count++] = i;
      inToken = false;
    }
    i += width - 1;
  }
  if (inToken) ends[count++] = text.length;
  return { starts, ends, count };
}

/**
 * The most characters at its end that porter stemming puts in a stem which the word did not have
 * there: "happy" → "happi" writes "i"; no rule writes more than two ("biliti" → "ble", though step 5
 * then drops the "e": "sensibility" → "sensibl"). So an ASCII word whose stem is T starts with all of
 * T but its last 2 characters; test/excerpt-stems.test.ts holds this against FTS5's own stems.
 */
const STEM_NEW_CHARS = 2;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** What an ASCII word whose porter stem is `stem` starts with (lowercase): the stem less what porter may have written. */
export function stemLead(stem: string): string {
  return stem.slice(0, Math.max(1, stem.length - STEM_NEW_CHARS));
}

/** Which of the excerpt's terms a word of a body is: the same FTS5 tokens (stems) as the term. */
export class TermMatcher {
  /** A term's tokens, joined by spaces → the indexes of the terms (several query words may share a stem). */
  private readonly byTokens = new Map<string, number[]>();
  /** The first code unit of each term's first token: porter rewrites only a word's end, so an ASCII word starting otherwise is no term. */
  private readonly initials = new Set<number>();
  /**
   * Each term's stem less what porter may have written at its end (`stemLead`): an ASCII word that
   * starts with none of them cannot stem to a term, so it is not looked up (FTS5's tokenizer is the
   * costly part of an excerpt, and most words of a note share an initial with some term).
   */
  private readonly leads: string[] = [];

  private readonly termCount: number;

  constructor(
    termTokens: string[][],
    private readonly stem: (forms: string[]) => Map<string, string[]>,
  ) {
    this.termCount = termTokens.length;
    termTokens.forEach((tokens, term) => {
      if (tokens.length === 0) return;
      const key = tokens.join(' ');
      this.byTokens.set(key, [...(this.byTokens.get(key) ?? []), term]);
      this.initials.add(key.charCodeAt(0));
      this.leads.push(stemLead(tokens[0] ?? ''));
    });
  }

  /** How many terms there are: term indexes run from 0 to this. */
  get terms(): number {
    return this.termCount;
  }

  /** False when `form` (lowercase) cannot stem to any term: an ASCII word starting with none of their leads. */
  private mayBeTerm(form: string): boolean {
    // A word with other characters may lose diacritics in the tokenizer ("reënforce" → "reenforc"): always looked up.
    if (!ASCII_ONLY.test(form)) return true;
    return this.leads.some((lead) => form.startsWith(lead));
  }

  /** The matches of the terms among `tokens` of `text`, in order of position. */
  matches(text: string, tokens: TextTokens): TermMatches {
    // First pass: the word form of each token that can be a term, each distinct form once.
    const formOf = new Int32Array(tokens.count).fill(-1);
    const spellings = new Map<string, number>(); // as written, so that a word repeated is lowercased once
    const forms = new Map<string, number>();
    const candidates: string[] = [];
    for (let i = 0; i < tokens.count; i++) {
      const first = text.charCodeAt(tokens.starts[i] ?? 0);
      if (first < 0x80 && !this.initials.has(first >= 0x41 && first <= 0x5a ? first | 0x20 : first)) continue;
      const spelling = text.slice(tokens.starts[i], tokens.ends[i]);
      let index = spellings.get(spelling);
      if (index === undefined) {
        const form = spelling.toLowerCase();
        index = forms.get(form) ?? (this.mayBeTerm(form) && candidates.length < EXCERPT_FORMS ? candidates.push(form) - 1 : -1);
        forms.set(form, index);
        spellings.set(spelling, index);
      }
      formOf[i] = index;
    }
    // The forms' stems in one batch through FTS5's tokenizer; then each token's terms.
    const stems = this.stem(candidates);
    const termsOf = candidates.map((form) => this.byTokens.get((stems.get(form) ?? []).join(' ')) ?? []);
    let count = 0;
    for (let i = 0; i < tokens.count; i++) count += termsOf[formOf[i] ?? -1]?.length ?? 0;
    const found: TermMatches = { positions: new Int32Array(count), terms: new Int32Array(count), count: 0 };
    for (let i = 0; i < tokens.count; i++) {
      for (const term of termsOf[formOf[i] ?? -1] ?? []) {
        found.positions[found.count] = i;
        found.terms[found.count++] = term;
      }
    }
    return found;
  }
}

/**
 * The matches in a window of EXCERPT_TOKENS tokens sliding forward over the body, scored as snippet()
 * scores them: 1000 for each distinct term, 1 for each further match. Each match enters and leaves
 * once, so scoring every window costs one pass.
 */
class MatchWindow {
  private from = 0;
  private to = 0;
  private distinct = 0;
  private readonly seen: Int32Array;

  constructor(
    private readonly found: TermMatches,
    terms: number,
  ) {
    this.seen = new Int32Array(terms);
  }

  /** The score of the window starting at token `start`, never before the last window's start. */
  score(start: number): number {
    const { positions, terms, count } = this.found;
    const end = start + EXCERPT_TOKENS;
    for (; this.to < count && (positions[this.to] ?? 0) < end; this.to++) this.add(terms[this.to] ?? 0, 1);
    for (; this.from < this.to && (positions[this.from] ?? 0) < start; this.from++) this.add(terms[this.from] ?? 0, -1);
    return 1000 * this.distinct + (this.to - this.from - this.distinct);
  }

  private add(term: number, change: 1 | -1): void {
    const before = this.seen[term] ?? 0;
    this.seen[term] = before + change;
    if (before === 0) this.distinct++;
    else if (before + change === 0) this.distinct--;
  }

  /** The window's start moved so that its matches sit in its middle, as snippet() moves it, within the body's `tokens`. */
  centred(tokens: number): number {
    const first = this.found.positions[this.from] ?? 0;
    const last = (this.found.positions[this.to - 1] ?? 0) + 1;
    const start = first - Math.trunc((EXCERPT_TOKENS - (last - first)) / 2);
    return Math.max(0, Math.min(start, tokens - EXCERPT_TOKENS));
  }
}

/**
 * The tokens that start a sentence, as snippet() finds them: the first, and each one after white
 * space that follows a '.' or ':'.
 */
function sentenceStarts(text: string, tokens: TextTokens): Int32Array {
  const starts = new Int32Array(tokens.count);
  let count = 1; // the first token starts the first sentence
  for (let i = 1; i < tokens.count; i++) {
    const before = (tokens.starts[i] ?? 0) - 1;
    let at = before;
    let code = text.charCodeAt(at);
    while (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) code = text.charCodeAt(--at);
    if (at !== before && (code === 0x2e || code === 0x3a)) starts[count++] = i; // '.' or ':'
  }
  return starts.subarray(0, count);
}

/**
 * The start of the best passage of EXCERPT_TOKENS tokens, by snippet()'s rules: each match is tried
 * as a window's start (then centred on its matches), and so is the start of the sentence it is in, with
 * a bonus; the first best wins. A body with no match starts at its beginning.
 */
function bestStart(text: string, tokens: TextTokens, found: TermMatches, terms: number): number {
  const sentences = tokens.count > EXCERPT_TOKENS && found.count > 0 ? sentenceStarts(text, tokens) : null;
  const atMatch = new MatchWindow(found, terms);
  const atSentence = new MatchWindow(found, terms);
  let best = 0;
  let start = 0;
  let sentence = 0;
  for (let i = 0; i < found.count; i++) {
    const position = found.positions[i] ?? 0;
    const score = atMatch.score(position);
    if (score > best) {
      best = score;
      start = atMatch.centred(tokens.count);
    }
    if (!sentences) continue;
    while (sentence + 1 < sentences.length && (sentences[sentence + 1] ?? 0) <= position) sentence++;
    const from = sentences[sentence] ?? 0;
    if (from < position) {
      const bonus = from === 0 ? 120 : 100;
      const scored = atSentence.score(from) + bonus;
      if (scored > best) {
        best = scored;
        start = from;
      }
    }
  }
  return start;
}

/** The best passage of the body (`bestStart`), with '…' where it cuts the body short. */
export function bestPassage(text: string, matcher: TermMatcher): string {
  const tokens = tokenize(text);
  const start = bestStart(text, tokens, matcher.matches(text, tokens), matcher.terms);
  const from = start > 0 ? (tokens.starts[start] ?? 0) : 0;
  const last = start + EXCERPT_TOKENS - 1;
  const lead = start > 0 ? '…' : '';
  if (last >= tokens.count - 1) return lead + text.slice(from);
  return `${lead}${text.slice(from, tokens.ends[last])}…`;
}
