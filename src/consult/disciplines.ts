/**
 * The discipline files of SUPERVISOR_CONFIG_DIR (protocols.md, tdd.md, …): checked at start, then
 * kept in memory and looked at again (one stat, a read only when the file changed) at most once per
 * RECHECK_MS, so an operator's edit applies within a second without a restart, and a burst of calls
 * costs no file system work (two stats a call were a tenth of a call's server time under load).
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

/** How long a discipline's text is used before its file is looked at again. */
export const RECHECK_MS = 1000;

interface Cached {
  mtimeMs: number;
  text: string;
  checkedAt: number;
}

export class DisciplineFiles implements DisciplineStore {
  private readonly cache = new Map<Discipline, Cached>();
  /** A look at the file in progress: the calls arriving meanwhile share it. */
  private readonly checking = new Map<Discipline, Promise<string>>();

  constructor(readonly configDir: string) {}

  /** Checks that every discipline file is there, so a missing one is found at start, not mid-session. */
  async check(): Promise<void> {
    for (const name of DISCIPLINES) {
      await readFile(this.file(name), 'utf8').catch(() => {
        throw new ConfigError(`SUPERVISOR_CONFIG_DIR ${this.configDir} has no ${name}.md`);
      });
    }
  }

  async text(name: Discipline): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && performance.now() - cached.checkedAt < RECHECK_MS) return cached.text;
    let checking = this.checking.get(name);
    if (!checking) {
      checking = this.look(name, cached).finally(() => this.checking.delete(name));
      this.checking.set(name, checking);
    }
    return checking;
  }

  /** One stat; the file is read again only when it changed. */
  private async look(name: Discipline, cached: Cached | undefined): Promise<string> {
    const file = this.file(name);
    const { mtimeMs } = await stat(file);
    const text = cached?.mtimeMs === mtimeMs ? cached.text : await readFile(file, 'utf8');
    this.cache.set(name, { mtimeMs, text, checkedAt: performance.now() });
    return text;
  }

  private file(name: Discipline): string {
    return join(this.configDir, `${name}.md`);
  }
}
