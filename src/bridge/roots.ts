/**
 * Which project_root the bridge may read. The bridge reads with the user's own permissions and ships
 * what it reads to a server that may be on another machine, so a project_root chosen by the calling
 * model (or by text injected into it) must not open `/etc` or `~/.ssh`: only the folder the bridge was
 * started in (Claude Code starts it in the project) and the folders listed in BRIDGE_PROJECT_ROOTS.
 * Real paths are compared, so a symbolic link can neither smuggle a folder in nor lock a project out.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { within } from '../consult/attach.js';

export type RootCheck = { root: string } | { refused: string; fileReason: string };

export class ProjectRoots {
  constructor(
    private readonly workingDirectory: string,
    private readonly listed: string[],
  ) {}

  /** The real path of `projectRoot` (relative to the working directory) when the bridge may read under it. */
  async check(projectRoot: string): Promise<RootCheck> {
    const real = await realpath(resolve(this.workingDirectory, projectRoot)).catch(() => null);
    if (!real) {
      return { refused: `project_root ${projectRoot} does not exist on this machine`, fileReason: 'project_root does not exist on this machine' };
    }
    // Resolved at each call: a listed folder created after the bridge started counts, a missing one does not.
    const allowed = await Promise.all([this.workingDirectory, ...this.listed].map((dir) => realpath(dir).catch(() => null)));
    if (allowed.some((dir) => dir !== null && within(dir, real))) return { root: real };
    return {
      refused:
        `project_root ${projectRoot} is outside the folders the bridge may read (its working directory and BRIDGE_PROJECT_ROOTS); ` +
        'nothing was sent. Add the folder to BRIDGE_PROJECT_ROOTS where the bridge is configured, or pass the files in attachments.',
      fileReason: "project_root is outside the bridge's working directory and BRIDGE_PROJECT_ROOTS",
    };
  }
}
