// File operations on a publish target (a local folder, a mounted share, a UNC path): verified
// copies, read-only files, and errors that say what went wrong on the target and how to fix it.
import { chmod, copyFile, link, mkdir, rm, stat, statfs, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from '../util/errors.ts';
import { hashFile } from '../util/fs.ts';
import { formatBytes } from '../util/events.ts';

/** Longest path component any file system here accepts (NTFS, ext4, SMB). */
export const MAX_COMPONENT = 255;
/** Windows' limit with the \\?\ prefix, which Node adds to absolute paths itself. */
export const MAX_WINDOWS_PATH = 32_767;
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
    default:
      return error;
  }
}

/** Checks before anything is written: parent folder, path lengths, free space. */
export async function preflight(
  target: string,
  relPaths: readonly string[],
  bytesNeeded: number,
  platform: NodeJS.Platform = process.platform,
): Promise<string[]> {
  const warnings: string[] = [];
  const parent = path.dirname(target);
  const parentInfo = await stat(parent).catch(() => undefined);
  if (!parentInfo?.isDirectory()) {
    throw new MediaError(`The parent folder of the target, ${parent}, does not exist`, {
      fix: 'Create it, or check that the share is mounted (Linux) or reachable by the runner account (Windows UNC path).',
    });
  }
  const tooLong = [target, ...relPaths].flatMap((p) => p.split(/[\\/]/)).find((component) => component.length > MAX_COMPONENT);
  if (tooLong) {
    throw new MediaError(`A path component is longer than ${MAX_COMPONENT} characters: ${tooLong.slice(0, 40)}…`, {
      fix: 'No file system used for package sources accepts that; shorten the --target path.',
    });
  }
  const longest = relPaths.reduce((max, p) => Math.max(max, path.join(target, p).length), target.length);
  if (platform === 'win32' && longest > MAX_WINDOWS_PATH) {
    throw new MediaError(`The longest published path would be ${longest} characters, over Windows' limit of ${MAX_WINDOWS_PATH}`, {
      fix: 'Use a shorter --target path.',
    });
  }
  if (longest > CLASSIC_MAX_PATH) {
    warnings.push(
      `the longest published path is ${longest} characters; tools without long-path support (and older ConfigMgr content handling) fail above ${CLASSIC_MAX_PATH}: prefer a shorter --target`,
    );
  }
  const space = await statfs(parent).catch(() => undefined);
  if (space) {
    const free = Number(space.bavail) * Number(space.bsize);
    if (free < bytesNeeded) {
      throw new MediaError(`The target ${target} has ${formatBytes(free)} free but this publish needs ${formatBytes(bytesNeeded)}`, {
        fix: 'Free space on the share (or lower --keep so fewer versions are kept), then re-run. The previous version stays current.',
      });
    }
  }
  return warnings;
}

/** Proves the target folder accepts writes, without leaving anything behind. */
export async function probeWritable(dir: string, target: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.osmedia-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    throw targetError(error, target, 'checking that it is writable');
  }
}

/**
 * Copies a file with the operating system's own copy (copy_file_range, a reflink, or a server-side
 * SMB copy where the file systems offer them), keeps its mtime, then reads the copy back and hashes
 * it. The hash must equal the SHA-256 recorded when the media was built: that one check catches
 * both a source changed since then and a copy damaged on the way. The copy is made read-only.
 */
export async function copyVerified(source: string, dest: string, expected: string, onBytes: (bytes: number) => void): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  await rm(dest, { force: true });
  await copyFile(source, dest);
  const info = await stat(source);
  await utimes(dest, info.atime, info.mtime);
  const readBack = await hashFile(dest, onBytes);
  if (readBack !== expected) {
    throw new MediaError(`The copy ${dest} does not match the media's recorded SHA-256 (${readBack}, expected ${expected})`, {
      fix: 'Either the workspace media changed after it was recorded (re-run the steps that built it) or the target damaged the file (check the share); then re-run.',
    });
  }
  await chmod(dest, 0o444);
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
