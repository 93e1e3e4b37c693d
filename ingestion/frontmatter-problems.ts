/**
 * The notes on disk whose frontmatter does not parse, found as the index would find them: the same
 * walk (no links, no FIFOs, no hidden files), the same read and the same parser. For `supervisor
 * doctor`, which must not start the service to ask it.
 */
import { join } from 'node:path';
import { parseNote } from './frontmatter.js';
import { noteFilesUnder, readForIndexing } from './note-files.js';

export interface NoteProblem {
  /** The note's path below the knowledge folder. */
  path: string;
  /** The line of the note the problem is on (1, the opening fence, for a problem of the whole block). */
  line: number;
  /** Why the frontmatter is not used (frontmatter.ts's words). */
  problem: string;
}

export interface FrontmatterSurvey {
  notes: number;
  /** Notes that could not be read (permissions, or removed while we looked). */
  unreadable: number;
  /** By path. */
  problems: NoteProblem[];
}

/** Notes read at once: enough to keep the disk busy, few enough to hold little memory. */
const READ_AT_ONCE = 32;

/** Reads every note below `knowledgeDir`, a few at a time (the event loop gets a turn between reads), and returns those whose frontmatter does not parse. */
export async function frontmatterProblems(knowledgeDir: string): Promise<FrontmatterSurvey> {
  const survey: FrontmatterSurvey = { notes: 0, unreadable: 0, problems: [] };
  let batch: string[] = [];
  const readBatch = async () => {
    for (const result of await Promise.all(batch.map((path) => noteProblem(knowledgeDir, path)))) {
      if (result === 'unreadable') survey.unreadable += 1;
      else if (result) survey.problems.push(result);
    }
    batch = [];
  };
  for await (const [path] of noteFilesUnder(knowledgeDir)) {
    survey.notes += 1;
    batch.push(path);
    if (batch.length === READ_AT_ONCE) await readBatch();
  }
  await readBatch();
  // By path, so two looks list the same notes whatever order the folders were read in.
  survey.problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return survey;
}

async function noteProblem(knowledgeDir: string, path: string): Promise<NoteProblem | null | 'unreadable'> {
  let text: string;
  try {
    ({ text } = await readForIndexing(join(knowledgeDir, path)));
  } catch {
    return 'unreadable';
  }
  const problem = parseNote(text).problem;
  if (!problem) return null;
  // A YAML error ends with "(line:column)" of the note (the parser counts the opening fence);
  // the other problems are about the block as a whole, which opens on line 1.
  const line = Number(/\((\d+):\d+\)$/.exec(problem)?.[1] ?? 1);
  return { path, line, problem };
}
