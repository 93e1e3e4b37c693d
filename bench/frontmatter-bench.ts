/**
 * What reading and editing frontmatter costs per note, on the 10k-note synthetic brain held in memory
 * (no disk): `parseNote` as the index build calls it for every note, the YAML block alone through
 * js-yaml and through the yaml package (why there are two YAML libraries: docs/brain.md), and an edit
 * that sets one field (the yaml package, which keeps comments). Rounds alternate between the ways;
 * p50 of the rounds. Prints one JSON line; run by bench/run.ts, or alone:
 * `node dist/bench/frontmatter-bench.js`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import YAML from 'yaml';
import { parseNote, withFields } from '../ingestion/frontmatter.js';
import { brainFor, Vocabulary } from './corpus.js';

export interface FrontmatterResult {
  notes: number;
  /** µs per note, p50 of the rounds. */
  parseNote: number;
  jsYamlBlock: number;
  yamlPackageBlock: number;
  editOneField: number;
}

const ROUNDS = 7;

async function main(): Promise<void> {
  const { dir } = await brainFor(10_000, new Vocabulary());
  const knowledge = join(dir, 'knowledge');
  const texts: string[] = [];
  for (const folder of await readdir(knowledge)) {
    for (const file of await readdir(join(knowledge, folder))) texts.push(await readFile(join(knowledge, folder, file), 'utf8'));
  }
  const notes = texts.map(parseNote);
  const blocks = notes.map((note) => note.yaml ?? '');

  const ways = {
    parseNote: () => texts.forEach((text) => parseNote(text)),
    jsYamlBlock: () => blocks.forEach((block) => jsYaml.load(block, { schema: jsYaml.CORE_SCHEMA })),
    yamlPackageBlock: () => blocks.forEach((block) => YAML.parse(block, { schema: 'core' })),
    editOneField: () => notes.forEach((note) => withFields(note, { status: 'reviewed' })),
  };
  const samples = Object.fromEntries(Object.keys(ways).map((name) => [name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(ways)) {
      const started = performance.now();
      run();
      samples[name]?.push(((performance.now() - started) * 1000) / texts.length);
    }
  }
  const p50 = (name: string) => Math.round(([...(samples[name] ?? [])].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? NaN) * 100) / 100;
  const result: FrontmatterResult = {
    notes: texts.length,
    parseNote: p50('parseNote'),
    jsYamlBlock: p50('jsYamlBlock'),
    yamlPackageBlock: p50('yamlPackageBlock'),
    editOneField: p50('editOneField'),
  };
  console.log(JSON.stringify(result));
}

await main();
