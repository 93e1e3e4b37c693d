/**
 * The brain folder check: it exists (or `serve` can create it), it is writable, and every note's
 * frontmatter parses — read with the ingestion service's own walk and parser (frontmatterProblems),
 * so doctor reports exactly the notes the service would index by their body only.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { frontmatterProblems } from '../../ingestion/index.js';
import { systemErrorLine } from '../errors.js';
import { ok, problem, warn, type Finding } from './findings.js';

/** Notes that do not parse, listed one a line up to this; past it, one line says how many more. */
export const MAX_LISTED_NOTES = 20;

export interface BrainCheckTarget {
  brainDir: string;
  /** The variable that chose the folder, for the lines that say what to set. */
  setting: string;
}

export async function checkBrain({ brainDir, setting }: BrainCheckTarget): Promise<Finding[]> {
  const info = await stat(brainDir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code !== 'ENOENT') return [problem(`brain folder ${brainDir} cannot be read: ${systemErrorLine(info)}; fix its permissions, or set ${setting}`)];
    return [await creatable(brainDir, setting)];
  }
  if (!info.isDirectory()) return [problem(`brain folder ${brainDir} is a file, not a folder: set ${setting} to a folder`)];
  const findings: Finding[] = [];
  const knowledgeDir = join(brainDir, 'knowledge');
  for (const folder of [brainDir, knowledgeDir]) {
    const refused = await writeRefusal(folder);
    if (refused && (refused as NodeJS.ErrnoException).code !== 'ENOENT') {
      findings.push(problem(`brain folder ${folder} is not writable (${systemErrorLine(refused)}): notes cannot be saved; give this user write access, or set ${setting}`));
    }
  }
  if (findings.length === 0) findings.push(ok(`brain folder ${brainDir} is writable`));
  findings.push(...(await checkNotes(knowledgeDir)));
  return findings;
}

/** A folder that does not exist yet: `serve` creates it, if the nearest existing folder above lets it. */
async function creatable(brainDir: string, setting: string): Promise<Finding> {
  let above = dirname(brainDir);
  while ((await stat(above).catch(() => null)) === null && above !== dirname(above)) above = dirname(above);
  const refused = await writeRefusal(above);
  if (refused) return problem(`brain folder ${brainDir} does not exist and cannot be created in ${above} (${systemErrorLine(refused)}): create it, or set ${setting}`);
  return ok(`brain folder ${brainDir} does not exist yet: \`supervisor serve\` creates it`);
}

/** Why this user may not add or remove entries in `folder` (write and search permission), or null. */
const writeRefusal = (folder: string) => access(folder, constants.W_OK | constants.X_OK).then(() => null, (error: unknown) => error);

async function checkNotes(knowledgeDir: string): Promise<Finding[]> {
  if ((await stat(knowledgeDir).catch(() => null)) === null) return [ok(`no notes yet (${knowledgeDir} does not exist)`)];
  const { notes, unreadable, problems } = await frontmatterProblems(knowledgeDir);
  const findings = problems.slice(0, MAX_LISTED_NOTES).map(({ path, line, problem: reason }) =>
    problem(`${join(knowledgeDir, path)}:${line}: ${reason}; fix its frontmatter (until then it is found by its body only, without its title, type and tags)`),
  );
  if (problems.length > MAX_LISTED_NOTES) findings.push(problem(`… and ${problems.length - MAX_LISTED_NOTES} more note(s) whose frontmatter does not parse`));
  if (unreadable > 0) findings.push(warn(`${unreadable} note(s) could not be read (permissions, or removed while doctor looked)`));
  if (problems.length === 0) findings.push(ok(`${notes} note(s), every frontmatter parses`));
  return findings;
}
