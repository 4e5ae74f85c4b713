// Staging: copies (or links) the files of a publish into a staging folder on the target, each one
// proven right before it counts. A copied file is hashed while it is copied; a file linked from the
// previous version is hashed after linking (it is the previous version's file: if that was changed
// in place, the link is dropped and the file copied from the workspace instead). An append-only log
// lets a re-run after a kill reuse what was already staged.
import { copyFile, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import type { Reporter } from '../util/events.ts';
import { byteFault } from '../util/fault.ts';
import { hashFile, mapLimit } from '../util/fs.ts';
import { copyVerified, settleMtimes, tryLink } from './target-fs.ts';

/** Copies in flight: the target writes while other files are read and hashed. */
const WORKERS = 4;

export interface StageCounts {
  copied: number;
  linked: number;
  reused: number;
  bytes: number;
  /** Files of the previous version that no longer matched their hash (copied afresh instead of linked). */
  damaged: string[];
  /** The mtime each staged file has on the target, as the target keeps it. */
  mtimes: Map<string, number>;
}

interface CopyProgress {
  done: number;
  total: number;
  files: number;
  fileCount: number;
  started: number;
}

function progressReporter(reporter: Reporter, target: string, progress: CopyProgress): (bytes: number) => void {
  const fault = byteFault();
  return (bytes) => {
    progress.done += bytes;
    fault(bytes);
    const seconds = Math.max(0.001, (Date.now() - progress.started) / 1000);
    reporter.emit({
      type: 'progress',
      step: 'distribute',
      // The phase stays the same for the whole copy; what changes goes in detail, which never decides when a CI line prints (issue 17.4).
      phase: `copying to ${target}`,
      detail: `${progress.files}/${progress.fileCount} files, ${(progress.done / 1048576 / seconds).toFixed(0)} MiB/s`,
      done: progress.done,
      total: progress.total,
      unit: 'bytes',
    });
  };
}

/**
 * The log of files already copied and verified into staging (their paths, one a line), which a
 * re-run after a kill reuses. Written at explicit offsets through one handle: SMB clients refuse
 * O_APPEND (smbnetfs: EIO), and a torn last line only loses that one file.
 */
/** A line of the staging log: what was copied and verified, by content. */
const logLine = (file: Pick<FileEntry, 'sha256' | 'path'>) => `${file.sha256} ${file.path}`;

async function openProgressLog(log: string): Promise<{ logged: Set<string>; add: (line: string) => Promise<void>; close: () => Promise<void> }> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const handle = await open(log, text ? 'r+' : 'w');
  let offset = Buffer.byteLength(text);
  let writing = Promise.resolve();
  return {
    logged: new Set(text.split('\n').filter(Boolean)),
    add: (line) => {
      const data = Buffer.from(`${line}\n`);
      const at = offset;
      offset += data.length;
      writing = writing.then(async () => {
        await handle.write(data, 0, data.length, at);
      });
      return writing;
    },
    close: async () => {
      await writing.catch(() => {});
      await handle.close();
    },
  };
}

export interface LinkSource {
  dir: string;
  files: Map<string, FileEntry>;
  /** 'link': hard links; 'server-copy': copyFile, which on Windows is CopyFileW, a server-side copy on SMB. */
  mode: 'link' | 'server-copy';
}

/** Copies a file of the previous version on the target itself; false where that fails (then it is streamed). */
async function tryServerCopy(existing: string, dest: string): Promise<boolean> {
  try {
    await rm(dest, { force: true });
    await mkdir(path.dirname(dest), { recursive: true });
    await copyFile(existing, dest);
    return true;
  } catch {
    await rm(dest, { force: true }).catch(() => {});
    return false;
  }
}

export async function stageFiles(
  workspace: Workspace,
  files: readonly FileEntry[],
  stage: string,
  log: string,
  reporter: Reporter,
  target: string,
  linkFrom?: LinkSource,
  granularityMs = 2,
): Promise<StageCounts> {
  const progressLog = await openProgressLog(log);
  const logged = progressLog.logged;
  try {
    return await stageWith(workspace, files, stage, logged, progressLog.add, reporter, target, linkFrom, granularityMs);
  } finally {
    await progressLog.close();
  }
}

async function stageWith(
  workspace: Workspace,
  files: readonly FileEntry[],
  stage: string,
  logged: Set<string>,
  addToLog: (line: string) => Promise<void>,
  reporter: Reporter,
  target: string,
  linkFrom: LinkSource | undefined,
  granularityMs: number,
): Promise<StageCounts> {
  const flush = granularityMs > 2;
  const counts: StageCounts = { copied: 0, linked: 0, reused: 0, bytes: 0, damaged: [], mtimes: new Map() };
  // A logged file counts only while it is still in staging with its size (a mirror swap moves it out),
  // and only for the content it was logged with: the log names each file's SHA-256, so a stage left by
  // a killed publish of other media (a mirror's stage has a fixed name) is never taken for this one.
  const reusable = await Promise.all(
    files.map(async (f) => {
      if (!logged.has(logLine(f))) return false;
      const info = await stat(path.join(stage, ...f.path.split('/'))).catch(() => undefined);
      if (info?.size !== f.size) return false;
      counts.mtimes.set(f.path, info.mtimeMs);
      return true;
    }),
  );
  const todo = files.filter((_, i) => !reusable[i]);
  counts.reused = files.length - todo.length;
  const progress: CopyProgress = { done: 0, total: todo.reduce((s, f) => s + f.size, 0), files: 0, fileCount: todo.length, started: Date.now() };
  const onBytes = progressReporter(reporter, target, progress);
  await mapLimit(todo, WORKERS, async (file) => {
    const dest = path.join(stage, ...file.path.split('/'));
    const previous = linkFrom?.files.get(file.path);
    let done = false;
    const reusable = previous && previous.sha256 === file.sha256 && previous.size === file.size;
    const from = reusable ? path.join(linkFrom!.dir, ...file.path.split('/')) : '';
    if (reusable && (linkFrom!.mode === 'link' ? await tryLink(from, dest) : await tryServerCopy(from, dest))) {
      // Linked (or copied on the server): only as good as the previous version's file. Hash it; a damaged one is not reused.
      if ((await hashFile(dest)) === file.sha256) {
        if (linkFrom!.mode === 'link') counts.linked++;
        else counts.copied++;
        counts.mtimes.set(file.path, (await stat(dest)).mtimeMs);
        done = true;
      } else {
        await rm(dest, { force: true }); // the link or copy only: the damaged file stays where it is, for verify to name
        counts.damaged.push(file.path);
      }
    }
    if (!done) {
      counts.mtimes.set(file.path, await copyVerified(workspace.media(file.path), dest, file.sha256, onBytes, flush));
      counts.copied++;
      counts.bytes += file.size;
    }
    progress.files++;
    await addToLog(logLine(file));
  });
  if (flush) {
    // A coarse target (a share): settle the copies' mtimes now that every copy is closed.
    const copied = todo.filter((f) => counts.mtimes.has(f.path));
    const kept = await settleMtimes(
      copied.map((f) => ({ dest: path.join(stage, ...f.path.split('/')), mtimeMs: f.mtimeMs })),
      granularityMs,
    );
    copied.forEach((f, i) => counts.mtimes.set(f.path, kept[i]!));
  }
  for (const file of counts.damaged)
    reporter.emit({
      type: 'warning',
      step: 'distribute',
      message: `${path.join(linkFrom!.dir, file)} no longer matches its recorded SHA-256 (changed in place): copied from the workspace instead of reused; run \`osmedia verify --all\` on ${target}`,
    });
  return counts;
}

/** The workspace manifest's entries with the mtimes as the target keeps them (for the next comparison). */
export function withTargetMtimes(files: readonly FileEntry[], mtimes: Map<string, number>, before?: Map<string, FileEntry>): FileEntry[] {
  return files.map((f) => {
    const m = mtimes.get(f.path) ?? before?.get(f.path)?.mtimeMs;
    return m === undefined ? f : { ...f, mtimeMs: Math.trunc(m) };
  });
}
