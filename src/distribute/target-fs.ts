// The target back end: file operations on a publish target (a local folder, a mounted SMB share, a
// UNC path), written for what shares really do. Measured on Samba through smbnetfs (test/smb/):
// statfs reports 0 total and 0 free, link() fails with EPERM, mtimes keep whole seconds, ftruncate
// fails with EIO (so Node's copyFile fails). So: free space 0/0 is "unknown"; links are probed
// once and copies used where they fail; files are copied by streaming (create, write, close), hashed
// in the same pass; mtimes are compared at the granularity the target showed.
import { chmod, link, lstat, mkdir, readdir, rm, stat, statfs, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from '../util/errors.ts';
import { formatBytes } from '../util/events.ts';
import { copyFileHashed } from '../util/fs.ts';
import { MAX_COMPONENT } from './names.ts';

/** Above this, tools that do not use long paths (and some ConfigMgr content paths) fail. */
export const CLASSIC_MAX_PATH = 259;

/** Maps a file-system error on a target to a message that names the problem and the fix. */
export function targetError(error: unknown, target: string, doing: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = (error as NodeJS.ErrnoException)?.path ?? target;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new MediaError(`The target ${target} ran out of space while ${doing}`, {
        fix: 'Free space on the share (or lower --keep so fewer versions are kept), then re-run: what was copied and verified is reused, and the previous version stays current.',
        cause: error,
      });
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return new MediaError(`The target ${target} is not writable (${code} on ${where})`, {
        fix: 'Give the runner account write access to the share (Modify on the folder), or choose another --target.',
        cause: error,
      });
    case 'ENAMETOOLONG':
      return new MediaError(`A path on the target is too long (${where})`, { fix: 'Use a shorter --target path.', cause: error });
    case 'EIO':
      return new MediaError(`The target ${target} failed an operation while ${doing} (EIO on ${where})`, {
        fix: 'Check the share and its mount (a dropped connection, or a name the server refuses), then re-run: what was copied and verified is reused.',
        cause: error,
      });
    default:
      return error;
  }
}

/** Checks before anything is written: parent folder, the longest path, free space. Returns warnings. */
export async function preflight(target: string, relPaths: readonly string[], bytesNeeded: number): Promise<string[]> {
  const warnings: string[] = [];
  const parent = path.dirname(target);
  const parentInfo = await stat(parent).catch(() => undefined);
  if (!parentInfo?.isDirectory()) {
    throw new MediaError(`The parent folder of the target, ${parent}, does not exist`, {
      fix: 'Create it, or check that the share is mounted (Linux) or reachable by the runner account (Windows UNC path).',
    });
  }
  const tooLong = target.split(/[\\/]/).find((component) => component.length > MAX_COMPONENT);
  if (tooLong) {
    throw new MediaError(`A path component is longer than ${MAX_COMPONENT} characters: ${tooLong.slice(0, 40)}…`, {
      fix: 'No file system used for package sources accepts that; shorten the --target path.',
    });
  }
  const longest = relPaths.reduce((max, p) => Math.max(max, path.join(target, p).length), target.length);
  if (longest > CLASSIC_MAX_PATH) {
    warnings.push(
      `the longest published path is ${longest} characters; tools without long-path support (and older ConfigMgr content handling) fail above ${CLASSIC_MAX_PATH}: prefer a shorter --target`,
    );
  }
  const space = await statfs(parent).catch(() => undefined);
  if (space && Number(space.blocks) === 0) {
    // A share whose client does not know its size (smbnetfs, some NAS): unknown, not full.
    if (bytesNeeded > 0)
      warnings.push(`the target ${target} does not report its size (0 total): free space not checked before copying ${formatBytes(bytesNeeded)}`);
  } else if (space) {
    const free = Number(space.bavail) * Number(space.bsize);
    if (free < bytesNeeded) {
      throw new MediaError(
        `The target ${target} has ${formatBytes(free)} free but this publish needs ${formatBytes(bytesNeeded)} (the share holds ${formatBytes(Number(space.blocks) * Number(space.bsize))} in all)`,
        { fix: 'Free space on the share (or lower --keep so fewer versions are kept), then re-run. Nothing was copied; the previous version stays current.' },
      );
    }
  }
  return warnings;
}

export interface TargetTraits {
  /** Whether link() works here (a versioned publish shares unchanged files with the previous version). */
  links: boolean;
  /** The smallest mtime difference the target keeps: 2 ms (set through float seconds), 1 s (SMB), 2 s (FAT). */
  mtimeGranularityMs: number;
  /** Where links fail, whether copyFile copies on the server (Windows: CopyFileW uses SMB's server-side copy). */
  serverCopy: boolean;
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK', 'EACCES']);

/** Proves the folder accepts writes, and measures what the target keeps: links and mtimes. Leaves nothing behind. */
export async function probeTarget(dir: string, target: string, platform: NodeJS.Platform = process.platform): Promise<TargetTraits> {
  const probe = path.join(dir, `.osmedia-probe-${process.pid}`);
  const linked = `${probe}.link`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    // An odd second plus 0.6 s: 1 s granularity keeps the odd second, 2 s (FAT) does not.
    const set = 1_700_000_001_600;
    await utimes(probe, set / 1000, set / 1000);
    const kept = (await stat(probe)).mtimeMs;
    const mtimeGranularityMs = Math.abs(kept - set) <= 2 ? 2 : Math.floor(kept / 1000) % 2 === 1 ? 1000 : 2000;
    const links = await link(probe, linked).then(
      () => true,
      (error: unknown) => (NO_LINKS.has((error as NodeJS.ErrnoException).code ?? '') ? false : Promise.reject(error as Error)),
    );
    // Not on Linux: Node's copyFile there may need ftruncate, which SMB clients refuse (smbnetfs: EIO).
    return { links, mtimeGranularityMs, serverCopy: !links && platform === 'win32' };
  } catch (error) {
    throw targetError(error, target, 'checking that it is writable');
  } finally {
    await rm(linked, { force: true }).catch(() => {});
    await rm(probe, { force: true }).catch(() => {});
  }
}

/** How a file on the target compares with its manifest entry by size and mtime, at the target's granularity. */
export function compareOnDisk(
  entry: { size: number; mtimeMs: number },
  onDisk: { size: number; mtimeMs: number } | undefined,
  granularityMs: number,
): 'same' | 'doubt' | 'changed' {
  if (!onDisk || onDisk.size !== entry.size) return 'changed';
  const delta = Math.abs(onDisk.mtimeMs - entry.mtimeMs);
  // Setting a time goes through floating-point seconds and can land a millisecond off.
  if (delta <= 2) return 'same';
  // Within the target's granularity the mtimes cannot tell: the caller hashes the file. So it does
  // on a coarse target (a share) for any difference: a share's server may set a file's time itself
  // when a client's close reaches it late, so there a time alone does not prove a change.
  return delta < granularityMs || granularityMs > 2 ? 'doubt' : 'changed';
}

/**
 * Sets the media's mtimes again on staged files whose time the target changed behind our back
 * (an SMB server setting the write time when a late close reaches it), until none has; returns
 * each file's mtime as the target then keeps it.
 */
export async function settleMtimes(files: ReadonlyArray<{ dest: string; mtimeMs: number }>, granularityMs: number): Promise<number[]> {
  const kept = new Array<number>(files.length);
  let pending = files.map((_, i) => i);
  for (let pass = 0; pass < 4 && pending.length > 0; pass++) {
    const drifted: number[] = [];
    for (const i of pending) {
      const { dest, mtimeMs } = files[i]!;
      kept[i] = (await stat(dest)).mtimeMs;
      // Drifted: off by the granularity or more, or (a coarse target keeps whole seconds) a time
      // with a fraction, which only the server's own clock gives.
      if (Math.abs(kept[i] - mtimeMs) >= Math.max(granularityMs, 3) || (granularityMs >= 1000 && kept[i] % 1000 !== 0)) {
        await utimes(dest, mtimeMs / 1000, mtimeMs / 1000);
        drifted.push(i);
      }
    }
    pending = drifted;
  }
  return kept;
}

/**
 * Copies a file by streaming it (no copyFile fast path, no ftruncate: SMB clients refuse them) and
 * hashes the bytes in the same pass; the hash must equal the SHA-256 recorded when the media was
 * built, which catches a source changed since. The copy keeps the source's mtime and is made
 * read-only. Returns the copy's mtime as the target keeps it.
 */
export async function copyVerified(source: string, dest: string, expected: string, onBytes: (bytes: number) => void, flush = false): Promise<number> {
  await rm(dest, { force: true });
  const sha = await copyFileHashed(source, dest, onBytes, flush);
  if (sha !== expected) {
    await rm(dest, { force: true });
    throw new MediaError(`${source} no longer matches the media's recorded SHA-256 (${sha}, expected ${expected}); it was not published`, {
      fix: 'The workspace media changed after it was recorded: re-run the steps that built it (or `osmedia import-media` again), then publish.',
    });
  }
  await chmod(dest, 0o444);
  return (await stat(dest)).mtimeMs;
}

/** Shares an unchanged, read-only file with the previous version (a hard link); false where the file system cannot. */
export async function tryLink(existing: string, dest: string): Promise<boolean> {
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    await link(existing, dest);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every regular file below dir (relative, forward slashes) with size and mtime, never following a
 * link: symbolic links (and on Windows junctions and other reparse points, which Node reports as
 * links) are returned apart, for the caller to refuse.
 */
export async function scanTarget(dir: string): Promise<{ files: Map<string, { size: number; mtimeMs: number }>; links: string[] }> {
  const files = new Map<string, { size: number; mtimeMs: number }>();
  const links: string[] = [];
  const top = await lstat(dir).catch(() => undefined);
  if (!top) return { files, links };
  if (top.isSymbolicLink()) return { files, links: [dir] };
  async function walk(folder: string, rel: string): Promise<void> {
    const entries = await readdir(folder, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const full = path.join(folder, entry.name);
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isSymbolicLink()) links.push(full);
        else if (entry.isDirectory()) await walk(full, relPath);
        else if (entry.isFile()) {
          const info = await lstat(full);
          files.set(relPath, { size: info.size, mtimeMs: info.mtimeMs });
        }
      }),
    );
  }
  await walk(dir, '');
  return { files, links: links.sort() };
}

/** Refuses a target folder that holds links: a publish never writes or deletes through one. */
export function refuseLinks(links: readonly string[], target: string): void {
  if (links.length === 0) return;
  throw new MediaError(`The target ${target} holds ${links.length} link(s) osmedia will not write through: ${links.slice(0, 10).join(', ')}`, {
    fix: 'Remove those links (symbolic links, junctions) from the target: a package source holds real files only. Nothing was changed.',
  });
}

/** A folder osmedia writes into must not be a link planted to send its writes elsewhere. */
export async function refuseLinkAt(dir: string, target: string): Promise<void> {
  if ((await lstat(dir).catch(() => undefined))?.isSymbolicLink()) refuseLinks([dir], target);
}
