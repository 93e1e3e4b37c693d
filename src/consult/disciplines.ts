/**
 * The discipline files of SUPERVISOR_CONFIG_DIR (protocols.md, tdd.md, …): checked at start, read on
 * every call through a cache keyed by modification time, so an operator's edit applies to the next
 * call without a restart.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../common/env.js';

export const DISCIPLINES = ['protocols', 'tdd', 'review', 'debug', 'spec', 'retrospective', 'trainer-reader', 'trainer-writer'] as const;
export type Discipline = (typeof DISCIPLINES)[number];

/** The discipline texts a consultation starts from (a dependency: tests give their own). */
export interface DisciplineStore {
  text(name: Discipline): Promise<string>;
}

export class DisciplineFiles implements DisciplineStore {
  private readonly cache = new Map<Discipline, { mtimeMs: number; text: string }>();

  constructor(readonly configDir: string) {}

  /** Checks that every discipline file is there, so a missing one is found at start, not mid-session. */
  async check(): Promise<void> {
    for (const name of DISCIPLINES) {
      await readFile(this.file(name), 'utf8').catch(() => {
        throw new ConfigError(`SUPERVISOR_CONFIG_DIR ${this.configDir} has no ${name}.md`);
      });
    }
  }

  /** One stat a call; the file is read again only when it changed. */
  async text(name: Discipline): Promise<string> {
    const file = this.file(name);
    const { mtimeMs } = await stat(file);
    const cached = this.cache.get(name);
    if (cached?.mtimeMs === mtimeMs) return cached.text;
    const text = await readFile(file, 'utf8');
    this.cache.set(name, { mtimeMs, text });
    return text;
  }

  private file(name: Discipline): string {
    return join(this.configDir, `${name}.md`);
  }
}
