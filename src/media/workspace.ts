// A workspace folder: media/ (the tree being serviced), osmedia-manifest.json, and .osmedia/ for
// osmedia's own state (lock, journal, staging, temporary files, tool logs).
//
// Crash safety: outputs are built in .osmedia/ and only then moved into place. A change that
// touches several files is committed through a journal: once the journal is on disk every
// temporary file is complete and verified, so recovery always rolls forward. Without a journal,
// leftovers in .osmedia/tmp and .osmedia/staging belong to a run that never committed and are removed.
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { faultPoint } from '../util/fault.ts';
import { acquireLock } from '../util/lock.ts';
import { exists, removeTree, writeFileAtomic } from '../util/fs.ts';
import { readManifest, serializeManifest, type Manifest } from './manifest.ts';

export const MANIFEST_FILE = 'osmedia-manifest.json';
export const STATE_DIR = '.osmedia';

interface Journal {
  renames: { from: string; to: string }[];
  deletes: string[];
  manifest: Manifest;
}

export class Workspace {
  readonly root: string;
  readonly mediaDir: string;
  readonly manifestPath: string;
  readonly stateDir: string;
  readonly tmpDir: string;
  readonly stagingDir: string;
  readonly logsDir: string;
  private readonly journalPath: string;
  private readonly lockPath: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.mediaDir = path.join(this.root, 'media');
    this.manifestPath = path.join(this.root, MANIFEST_FILE);
    this.stateDir = path.join(this.root, STATE_DIR);
    this.tmpDir = path.join(this.stateDir, 'tmp');
    this.stagingDir = path.join(this.stateDir, 'staging');
    this.logsDir = path.join(this.stateDir, 'logs');
    this.journalPath = path.join(this.stateDir, 'journal.json');
    this.lockPath = path.join(this.stateDir, 'lock');
  }

  /** A path inside media/ from a manifest-relative path. */
  media(relative: string): string {
    return path.join(this.mediaDir, ...relative.split('/'));
  }

  /** Creates the workspace and its state folder, proving it is writable. */
  async ensureWritable(): Promise<void> {
    await this.assertNoLinkOnTheWay(path.join(this.stateDir, 'probe')); // .osmedia as a link: refused, named (issue 16.5)
    try {
      await mkdir(this.stateDir, { recursive: true });
      const probe = path.join(this.stateDir, `.probe-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new MediaError(`The workspace ${this.root} is not writable (${code})`, {
        fix: 'Choose a folder you can write to with --workspace (a local disk with room for the media, about twice the ISO size), or fix its permissions.',
        cause: error,
      });
    }
  }

  /**
   * Takes the workspace lock for one session (a run, or one step); a lock left by a dead process on
   * this host is stale. waitMs: how long to wait for a live holder (0: fail at once with its name).
   */
  async lock(command: string, reporter: Reporter, waitMs = 0): Promise<() => Promise<void>> {
    await this.assertNoLinkOnTheWay(this.lockPath);
    return acquireLock(this.lockPath, { what: `the workspace ${this.root}`, command, reporter, waitMs });
  }

  async hasManifest(): Promise<boolean> {
    return exists(this.manifestPath);
  }

  async loadManifest(): Promise<Manifest> {
    return readManifest(this.manifestPath);
  }

  /**
   * Finishes or discards what an interrupted run left behind. Call it under the lock, before
   * any step reads the manifest. Returns the manifest a finished journal wrote (so the session
   * need not read it back), else undefined.
   */
  async recover(reporter: Reporter): Promise<Manifest | undefined> {
    let recovered: Manifest | undefined;
    if (await exists(this.journalPath)) {
      const journal = JSON.parse(await readFile(this.journalPath, 'utf8')) as Journal;
      reporter.emit({ type: 'info', message: 'finishing a change that an interrupted run had already verified' });
      await this.applyJournal(journal);
      recovered = journal.manifest;
    }
    for (const leftover of [this.tmpDir, this.stagingDir]) {
      if (await exists(leftover)) {
        const entries = await readdir(leftover);
        if (entries.length > 0)
          reporter.emit({
            type: 'info',
            message: `removing ${entries.length} leftover item(s) of an interrupted run from ${path.relative(this.root, leftover)}`,
          });
        await removeTree(leftover);
      }
    }
    return recovered;
  }

  /** A fresh temporary path under .osmedia/tmp (same disk as media/, so renames are atomic). */
  async tempPath(name: string): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    // .osmedia or .osmedia/tmp replaced by a link would carry osmedia's own files elsewhere (issue 16.5).
    await this.assertNoLinkOnTheWay(path.join(this.tmpDir, name));
    return path.join(this.tmpDir, `${Date.now()}-${process.pid}-${name}`);
  }

  /**
   * Moves verified temporary files into media/, deletes files, and writes the new manifest, as one
   * recoverable change. Paths in `renames[].to` and `deletes` are absolute.
   */
  async commit(change: { renames?: { from: string; to: string }[]; deletes?: string[]; manifest: Manifest }): Promise<void> {
    for (const target of [...(change.renames ?? []).map((r) => r.to), ...(change.deletes ?? [])]) await this.assertNoLinkOnTheWay(target);
    const journal: Journal = { renames: change.renames ?? [], deletes: change.deletes ?? [], manifest: change.manifest };
    await writeFileAtomic(this.journalPath, JSON.stringify(journal));
    faultPoint('journal-written');
    await this.applyJournal(journal);
  }

  /**
   * Refuses a write or delete whose path leaves the workspace or passes through a link (a symlink, or
   * on Windows a junction or other reparse point, which lstat reports as a link). A link planted in
   * media/ (sources/sub → elsewhere) would otherwise carry a Setup DU's files outside the workspace;
   * osmedia never creates links there, so it never resolves a path through one (issue 16.5). The
   * target itself may be a link: rename and rm replace or remove the link, never what it points to.
   */
  async assertNoLinkOnTheWay(target: string): Promise<void> {
    const rel = path.relative(this.root, path.resolve(target));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new MediaError(`Refusing to write ${target}: it is outside the workspace ${this.root}`, {
        fix: 'This is a bug or a hostile input; nothing was changed. Report it with the command that was run.',
      });
    }
    const parts = rel.split(path.sep);
    let current = this.root;
    for (const part of parts.slice(0, -1)) {
      current = path.join(current, part);
      const info = await lstat(current).catch((caught: unknown) => {
        const error = caught as NodeJS.ErrnoException;
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw error;
      });
      if (!info) return; // the rest is created by osmedia (mkdir of plain folders)
      if (info.isSymbolicLink() || !info.isDirectory()) {
        throw new MediaError(
          `Refusing to write ${path.relative(this.root, target).split(path.sep).join('/')}: ${path.relative(this.root, current).split(path.sep).join('/')} in the workspace is ${info.isSymbolicLink() ? 'a link' : 'not a folder'}, and osmedia never writes through one`,
          {
            fix: `Someone placed it there: remove ${current} (or re-create the workspace with \`osmedia import-media --force\`), then run again. Nothing was changed.`,
          },
        );
      }
    }
  }

  private async applyJournal(journal: Journal): Promise<void> {
    for (const { from, to } of journal.renames) {
      if (await exists(from)) {
        await mkdir(path.dirname(to), { recursive: true });
        await rename(from, to);
        faultPoint('renamed');
      } else if (!(await exists(to))) {
        throw new MediaError(`Cannot finish an interrupted change: neither ${from} nor ${to} exists`, {
          fix: 'The workspace was changed by hand; re-create it with `osmedia import-media --force`.',
        });
      }
    }
    for (const file of journal.deletes) await rm(file, { force: true });
    await writeFileAtomic(this.manifestPath, serializeManifest(journal.manifest));
    faultPoint('manifest-written');
    await rm(this.journalPath, { force: true });
  }
}
