/**
 * Tells the brain which paths changed on disk, whoever changed them (an editor, git pull).
 *
 * One non-recursive fs.watch per folder: recursive fs.watch on Linux loses events and crashes on
 * deletes (nodejs/node#48437, #52018), and watching every file, as chokidar does, costs an inotify
 * watch per note. Folders are few, events cost nothing while nobody edits, and a short debounce
 * turns an editor's save dance or a large git pull into one batch.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

export interface ChangeBatch {
  /** Paths (relative to the root) that may have been added, changed, removed or renamed. */
  paths: Set<string>;
  /** Folders whose watcher could not say which entry changed: look at all of them. */
  folders: Set<string>;
}

export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private pending: ChangeBatch = { paths: new Set(), folders: new Set() };
  private timer: NodeJS.Timeout | null = null;
  private warnedAboutLimit = false;

  constructor(
    private readonly root: string,
    private readonly onChanges: (batch: ChangeBatch) => void,
    private readonly logger: Logger,
    private readonly debounceMs = 50,
  ) {}

  /** Starts watching the folder `relative` ('' for the root); subfolders are added by the caller. */
  watchFolder(relative: string): void {
    if (this.watchers.has(relative)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(join(this.root, relative), { persistent: false }, (_event, name) => {
        if (name === null) this.queue(null, relative);
        else this.queue(relative ? `${relative}/${name.toString()}` : name.toString(), relative);
      });
    } catch (error) {
      this.reportWatchFailure(relative, error as NodeJS.ErrnoException);
      return;
    }
    // A watched folder that is deleted or becomes unreadable errors; its parent reports the removal.
    watcher.on('error', () => this.unwatchFolder(relative));
    this.watchers.set(relative, watcher);
  }

  /** Stops watching `relative` and every folder below it. */
  unwatchFolder(relative: string): void {
    for (const [folder, watcher] of this.watchers) {
      if (folder === relative || folder.startsWith(`${relative}/`)) {
        watcher.close();
        this.watchers.delete(folder);
      }
    }
  }

  isWatching(relative: string): boolean {
    return this.watchers.has(relative);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private queue(path: string | null, folder: string): void {
    if (path === null) this.pending.folders.add(folder);
    else if (!path.split('/').some((segment) => segment.startsWith('.'))) this.pending.paths.add(path);
    else return; // hidden: our own temp files, editors' swap files, .git
    this.timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = { paths: new Set(), folders: new Set() };
    this.onChanges(batch);
  }

  private reportWatchFailure(relative: string, error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOSPC' || error.code === 'EMFILE') {
      if (!this.warnedAboutLimit) {
        this.warnedAboutLimit = true;
        this.logger.warn(
          { folder: relative, code: error.code },
          'the system limit on watched folders is reached: edits in some folders are seen only at the next start (raise fs.inotify.max_user_watches)',
        );
      }
    } else if (error.code !== 'ENOENT') {
      this.logger.warn({ folder: relative, code: error.code }, 'cannot watch folder for external edits');
    }
  }
}
