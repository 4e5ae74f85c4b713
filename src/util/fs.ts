// File-system helpers that never leave a half-written file where a reader can see it.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';

/** A sibling path for a temporary file: same folder, so the final rename is atomic. */
export function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes a file beside its target, flushes it to disk, then renames it into place. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temp = tempSibling(target);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

export interface TreeFile {
  /** Relative path with forward slashes, as recorded in manifests. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** Every regular file below root, sorted by path (byte order), with sizes and mtimes. */
export async function listTree(root: string): Promise<TreeFile[]> {
  const files: TreeFile[] = [];
  // A folder's entries are looked at concurrently (libuv's thread pool bounds it): one stat after
  // another made a no-op publish of 1,000 files wait on the disk for most of its run.
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    // 64 at a time, not all at once: 60,000 pending stats (a large Setup DU) held over 100 MB.
    await mapLimit(entries, 64, async (entry) => {
      const full = path.join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(full, relPath);
      else if (entry.isFile()) {
        const info = await stat(full);
        files.push({ path: relPath, size: info.size, mtimeMs: Math.trunc(info.mtimeMs) });
      }
    });
  }
  await walk(root, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Finds a direct child of dir by name, ignoring letter case (Windows media is case-insensitive). */
export async function findChild(dir: string, name: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return undefined;
  }
  const found = entries.find((entry) => entry.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : path.join(dir, found);
}

const HASH_CHUNK = 1024 * 1024;

/** Read buffers, reused: a new 1 MiB buffer per chunk kept the garbage collector busy for a sixth
 *  of a 2 GiB publish. One per concurrent read; they stay allocated (a few MiB). */
const spareBuffers: Buffer[] = [];

/** Reads a file in 1 MiB chunks into a reused buffer, so memory stays flat whatever the size. Each
 *  chunk is only valid until `each` returns (or its promise settles). */
async function readChunks(file: string, each: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  const handle = await open(file, 'r');
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(HASH_CHUNK);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, HASH_CHUNK, null);
      if (bytesRead === 0) break;
      await each(buffer.subarray(0, bytesRead));
    }
  } finally {
    spareBuffers.push(buffer);
    await handle.close();
  }
}

/** SHA-256 of a file. */
export async function hashFile(file: string, onBytes: (bytes: number) => void = () => {}): Promise<string> {
  const hash = createHash('sha256');
  await readChunks(file, (chunk) => {
    hash.update(chunk);
    onBytes(chunk.length);
  });
  return hash.digest('hex');
}

/**
 * Copies a file and hashes it in the same pass; keeps the source's mtime. `flush` syncs the copy
 * before closing it: on an SMB share mounted through FUSE the client finishes the close after
 * close() returns, and a server that still sees pending writes then sets the write time to "now",
 * undoing the mtime set after it (measured with smbnetfs on Samba: test/smb/).
 */
export async function copyFileHashed(source: string, target: string, onBytes: (bytes: number) => void = () => {}, flush = false): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const hash = createHash('sha256');
  const out = await open(target, 'w');
  try {
    await readChunks(source, async (chunk) => {
      hash.update(chunk);
      onBytes(chunk.length);
      for (let written = 0; written < chunk.length;) written += (await out.write(chunk, written, chunk.length - written)).bytesWritten;
    });
    if (flush) await out.sync();
  } finally {
    await out.close();
  }
  const info = await stat(source);
  await utimes(target, info.atime, info.mtime);
  return hash.digest('hex');
}

/** Makes every file below root writable by its owner (clears the read-only attribute on Windows). */
export async function makeTreeWritable(root: string): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    const info = await stat(full);
    if ((info.mode & 0o200) === 0) await chmod(full, info.mode | 0o200);
  }
}

/** Removes a path if present, clearing read-only bits first (Windows refuses otherwise). */
export async function removeTree(target: string): Promise<void> {
  if (!(await exists(target))) return;
  try {
    await rm(target, { recursive: true, force: true });
  } catch {
    await makeTreeWritable(target).catch(() => {});
    await rm(target, { recursive: true, force: true });
  }
}

/** Runs async work over items with a fixed number of workers. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
