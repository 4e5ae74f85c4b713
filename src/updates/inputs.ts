// Update inputs: the files of an updates folder or a recipe list, checked against SHA-256 pins
// (from the recipe, or a SHA256SUMS file in the folder, as `sha256sum` writes it), then read and
// classified. A pin that does not match is a hard error; unpinned files are allowed and reported.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SevenZip } from '../imaging/sevenzip.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { copyFileHashed, exists, hashFile, mapLimit } from '../util/fs.ts';
import { classifyPackage, dropDuplicates, isRejection, type MediaTarget, type Rejection, type UpdatePackage } from './classify.ts';
import { readPackage } from './read.ts';

export interface UpdateSource {
  /** A folder of .msu/.cab files (its SHA256SUMS, if any, pins them). */
  from?: string;
  /** Files, each optionally pinned. */
  files?: { path: string; sha256?: string }[];
}

export interface UpdateFile {
  /** The file osmedia reads: the share's file, or after takeInputs() the run's own copy of it. */
  file: string;
  /** Where it came from (the share), once `file` is a copy. */
  origin?: string;
  size: number;
  mtimeMs: number;
  pin?: string;
}

/** Parses `sha256sum` output: "<64 hex>  name" or "<64 hex> *name" (binary mode); # comments allowed. */
export function parseSha256Sums(text: string, source = 'SHA256SUMS'): Map<string, string> {
  const pins = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match)
      throw new UsageError(`${source} line ${i + 1} is not "<sha256>  <file name>": ${line.slice(0, 80)}`, {
        fix: 'Write it with `sha256sum *.msu *.cab > SHA256SUMS` in the updates folder.',
      });
    const name = path.basename(match[2]!.replaceAll('\\', '/')).toLowerCase();
    const sha256 = match[1]!.toLowerCase();
    // One file pinned twice with two hashes: which one is meant cannot be known, so neither is trusted
    // (a "last one wins" rule would let an appended line re-pin a file). Issue 16.8.
    const earlier = pins.get(name);
    if (earlier !== undefined && earlier !== sha256)
      throw new UsageError(`${source} pins ${name} twice with different SHA-256 values (${earlier} and ${sha256}, line ${i + 1})`, {
        fix: `Keep one line for ${name}: the hash Microsoft publishes for it in the Update Catalog (sha256sum ${name}).`,
      });
    pins.set(name, sha256);
  }
  return pins;
}

/** The update files a source names, with their pins; files that are not .msu/.cab are ignored and listed. */
export async function collectUpdateFiles(source: UpdateSource, baseDir = process.cwd()): Promise<{ files: UpdateFile[]; ignored: string[] }> {
  const files: UpdateFile[] = [];
  const ignored: string[] = [];
  if (source.from) {
    const dir = path.resolve(baseDir, source.from);
    const entries = await readdir(dir, { withFileTypes: true }).catch((caught: unknown) => {
      const error = caught as NodeJS.ErrnoException;
      throw new UsageError(`The updates folder ${dir} cannot be read (${error.code ?? error.message})`, {
        fix: "Pass the folder that holds this month's .msu and .cab files with --updates (or updates.from in the recipe).",
      });
    });
    const sumsFile = path.join(dir, 'SHA256SUMS');
    const pins = (await exists(sumsFile)) ? parseSha256Sums(await readFile(sumsFile, 'utf8'), sumsFile) : new Map<string, string>();
    const names = new Set<string>();
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === 'SHA256SUMS') continue;
      if (!entry.isFile() || !/\.(msu|cab)$/i.test(entry.name)) {
        ignored.push(entry.name);
        continue;
      }
      const file = path.join(dir, entry.name);
      const info = await stat(file);
      names.add(entry.name.toLowerCase());
      files.push({ file, size: info.size, mtimeMs: info.mtimeMs, pin: pins.get(entry.name.toLowerCase()) });
    }
    const orphans = [...pins.keys()].filter((name) => !names.has(name));
    if (orphans.length > 0) {
      throw new MediaError(`SHA256SUMS in ${dir} pins file(s) that are not in the folder: ${orphans.join(', ')}`, {
        fix: 'Copy the missing update files into the folder, or remove their lines from SHA256SUMS.',
      });
    }
  }
  for (const item of source.files ?? []) {
    const file = path.resolve(baseDir, item.path);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile())
      throw new UsageError(`The update file ${file} does not exist`, {
        fix: 'Correct the path in the recipe (updates.files), or download the file from the Microsoft Update Catalog.',
      });
    files.push({ file, size: info.size, mtimeMs: info.mtimeMs, pin: item.sha256?.toLowerCase() });
  }
  return { files, ignored };
}

const hashCache = new Map<string, string>();

/** SHA-256 of an update file, remembered by path, size and mtime (identity() and apply() both need it). */
export async function hashUpdate(file: UpdateFile, onBytes?: (bytes: number) => void): Promise<string> {
  const key = `${file.file}\0${file.size}\0${file.mtimeMs}`;
  const known = hashCache.get(key);
  if (known) return known;
  const sha256 = await hashFile(file.file, onBytes);
  hashCache.set(key, sha256);
  return sha256;
}

/** Hashes every file and checks its pin: a mismatch names the file and both hashes. */
export async function checkPins(files: readonly UpdateFile[], onBytes?: (bytes: number) => void): Promise<Map<string, string>> {
  // Two at a time: SHA-256 is CPU-bound and a month's LCU alone is a gigabyte or more.
  const sums = await mapLimit(files, 2, (file) => hashUpdate(file, onBytes));
  const hashes = new Map<string, string>();
  for (const [i, file] of files.entries()) {
    const sha256 = sums[i]!;
    if (file.pin && file.pin !== sha256) {
      throw new MediaError(`${path.basename(file.file)} does not match its SHA-256 pin (expected ${file.pin}, got ${sha256})`, {
        fix: 'The file is damaged or not the update the pin was written for: download it again from the Microsoft Update Catalog, or correct the pin after checking the file.',
      });
    }
    hashes.set(file.file, sha256);
  }
  return hashes;
}

/**
 * Copies every input once into `dir` (the run's own folder), hashing the bytes as they are copied,
 * and checks each pin against those bytes. From then on only the copies are used: a file swapped on
 * the share after this point changes nothing, and the hashes returned (which the manifest records)
 * are those of the bytes actually serviced. Hashing the share and letting 7-Zip and DISM read it
 * again later was a time-of-check/time-of-use gap (issue 16.1).
 */
export async function takeInputs(
  files: readonly UpdateFile[],
  dir: string,
  onBytes?: (bytes: number) => void,
): Promise<{ files: UpdateFile[]; hashes: Map<string, string> }> {
  // Two at a time: SHA-256 is CPU-bound and a month's LCU alone is a gigabyte or more.
  const copies = await mapLimit(files, 2, async (file, i) => {
    // One folder per input keeps each file's own name (DISM and the manifest use it), even for two files named alike.
    const copy = path.join(dir, String(i), path.basename(file.file));
    const sha256 = await copyFileHashed(file.file, copy, onBytes).catch((caught: unknown) => {
      const error = caught as NodeJS.ErrnoException;
      throw new MediaError(`The update file ${file.file} cannot be copied into the run's folder ${dir} (${error.code ?? error.message})`, {
        fix: "Check that the updates share is reachable and the workspace disk has room for this month's updates, then run again.",
        cause: error,
      });
    });
    if (file.pin && file.pin !== sha256) {
      throw new MediaError(`${path.basename(file.file)} does not match its SHA-256 pin (expected ${file.pin}, got ${sha256})`, {
        fix: 'The file is damaged or not the update the pin was written for: download it again from the Microsoft Update Catalog, or correct the pin after checking the file.',
      });
    }
    const info = await stat(copy);
    return { taken: { ...file, file: copy, origin: file.file, size: info.size, mtimeMs: info.mtimeMs }, sha256 };
  });
  return { files: copies.map((c) => c.taken), hashes: new Map(copies.map((c) => [c.taken.file, c.sha256])) };
}

/** Reads and classifies every file; rejections (and duplicates) are returned, never dropped silently. */
export async function classifyUpdates(
  sevenZip: SevenZip,
  files: readonly UpdateFile[],
  hashes: Map<string, string>,
  media: MediaTarget,
  work: string,
): Promise<{ packages: UpdatePackage[]; rejections: Rejection[] }> {
  const accepted: UpdatePackage[] = [];
  const rejections: Rejection[] = [];
  for (const [i, file] of files.entries()) {
    let result;
    try {
      const contents = await readPackage(sevenZip, file.file, path.join(work, `pkg${i}`));
      result = classifyPackage({ file: file.file, size: file.size, sha256: hashes.get(file.file)!, pinned: Boolean(file.pin) }, contents, media);
    } catch (error) {
      if (!(error instanceof MediaError)) throw error;
      // Named by where the user put it, not by the run's copy of it.
      const said = file.origin ? error.message.replaceAll(file.file, file.origin) : error.message;
      result = { file: file.file, fileName: path.basename(file.file), reason: `cannot be opened as a package (${said})` };
    }
    if (isRejection(result)) rejections.push(result);
    else accepted.push(result);
  }
  const { packages, rejections: duplicates } = dropDuplicates(accepted);
  return { packages, rejections: [...rejections, ...duplicates] };
}
