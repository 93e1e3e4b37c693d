/**
 * Tells the brain which paths changed on disk, whoever changed them (an editor, git pull).
 *
 * One non-recursive fs.watch per folder: recursive fs.watch on Linux loses events and crashes on
 * deletes (nodejs/node#48437, #52018), and watching every file, as chokidar does, costs an inotify
 * watch per note. Folders are few, events cost nothing while nobody edits, and a short debounce
 * turns an editor's save dance or a large git pull into one batch.
 *
 * A watch follows a folder's inode, not its name: a folder deleted and made again (git checkout,
 * rsync, `rm -r` then `mkdir`) is a new folder that nobody watches. So a watch is re-armed whenever
 * the folder's inode differs from the one watched, and the root's own parent is watched for the
 * root's name, so that the root folder itself vanishing and coming back is seen too.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';

export interface ChangeBatch {
  /** Paths (relative to the root) that may have been added, changed, removed or renamed. */
  paths: Set<string>;
  /** Folders whose watcher could not say which entry changed: look at all of them. */
  folders: Set<string>;
}

interface Watch {
  watcher: FSWatcher;
  ino: number;
}

export class FolderWatcher {
  private readonly watchers = new Map<string, Watch>();
  private rootEntry: FSWatcher | null = null;
  private pending: ChangeBatch = { paths: new Set(), folders: new Set() };
  private timer: NodeJS.Timeout | null = null;
  private warnedAboutLimit = false;

  constructor(
    private readonly root: string,
    private readonly onChanges: (batch: ChangeBatch) => void,
    private readonly logger: Logger,
    private readonly debounceMs = 50,
  ) {}

  /**
   * Starts watching the folder `relative` ('' for the root), or watches it again when the folder
   * at that name is not the one watched any more; subfolders are added by the caller.
   */
  watchFolder(relative: string): void {
    const absolute = join(this.root, relative);
    const ino = statSync(absolute, { throwIfNoEntry: false })?.ino;
    const current = this.watchers.get(relative);
    if (current && current.ino === ino) return;
    if (current) this.stop(relative, current);
    if (ino === undefined) return; // gone: its parent (or the root entry watch) reports its return
    let watcher: FSWatcher;
    try {
      watcher = watch(absolute, { persistent: false }, (_event, name) => {
        if (name === null) this.queue(null, relative);
        else this.queue(relative ? `${relative}/${name.toString()}` : name.toString(), relative);
      });
    } catch (error) {
      this.reportWatchFailure(relative, error as NodeJS.ErrnoException);
      return;
    }
    const entry = { watcher, ino };
    // A watched folder that is deleted or becomes unreadable errors; its parent reports the removal.
    // By then the name may be watched again (a new folder): only this watch is dropped.
    watcher.on('error', () => {
      if (this.watchers.get(relative) === entry) this.stop(relative, entry);
    });
    this.watchers.set(relative, entry);
  }

  /**
   * Watches the folder holding the root for the root's own name: the root deleted, recreated or
   * replaced is reported as a change of the whole root folder ('').
   */
  watchRootEntry(): void {
    if (this.rootEntry) return;
    const name = basename(this.root);
    try {
      this.rootEntry = watch(dirname(this.root), { persistent: false }, (_event, changed) => {
        if (changed === null || changed.toString() === name) this.queue(null, '');
      });
      this.rootEntry.on('error', () => {
        this.rootEntry?.close();
        this.rootEntry = null;
      });
    } catch (error) {
      this.reportWatchFailure('..', error as NodeJS.ErrnoException);
    }
  }

  /** Stops watching `relative` ('' for all) and every folder below it. */
  unwatchFolder(relative: string): void {
    for (const [folder, entry] of this.watchers) {
      if (relative === '' || folder === relative || folder.startsWith(`${relative}/`)) this.stop(folder, entry);
    }
  }

  private stop(folder: string, entry: Watch): void {
    entry.watcher.close();
    if (this.watchers.get(folder) === entry) this.watchers.delete(folder);
  }

  isWatching(relative: string): boolean {
    return this.watchers.has(relative);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.rootEntry?.close();
    this.rootEntry = null;
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
