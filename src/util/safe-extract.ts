// Safe expansion of an archive whose author osmedia does not trust (the Setup DU, issue 16): every
// entry name is judged before a byte is written, the sizes the archive declares are compared with the
// free space and a cap, links are refused, and a failed expansion removes its own folder.
//
// Why each rule (issue 16, items 6 and 10):
// - 7-Zip itself never writes outside the output folder, but it "cleans" a hostile name into a
//   strange one: "../../x" becomes "x", "sub/../../x" becomes "sub/x", "/tmp/x" becomes "tmp/x",
//   "C:\x" becomes a folder "C:". Those then land in the media's sources/ folder. A genuine Setup DU
//   holds plain relative names only, so any of these means the file is not what it claims to be.
// - In a CAB the path separator is "\" ([MS-CAB] CFFILE.szName; 7-Zip shows it as "/" on Linux and
//   as "\" on Windows). A "\" that 7-Zip still prints on Linux is part of a name (tar, zip), which
//   Windows would read as a separator: refused.
// - A decompression bomb is a small file that declares (or expands to) far more than the disk holds.
import { lstat, mkdir, readdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveEntry, SevenZip } from '../imaging/sevenzip.ts';
import { MediaError } from './errors.ts';

/** No Setup DU comes near this (they are tens to a few hundred MB expanded); a policy cap, not a Microsoft figure. */
export const DEFAULT_EXPAND_CAP = 4 * 1024 ** 3;
/** Room left free on the disk after the expansion, so the run that follows can still write its manifest. */
const FREE_MARGIN = 16 * 1024 * 1024;

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Why an entry name is unsafe to write, or undefined when it is a plain relative name. */
export function entryNameProblem(raw: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (raw === '') return 'an empty name';
  if (/[\u0000-\u001f\u007f]/.test(raw)) return 'a control character in the name';
  if (platform !== 'win32' && raw.includes('\\')) return 'a backslash inside a name (Windows reads it as a folder separator)';
  const name = raw.replaceAll('\\', '/');
  if (/^[a-zA-Z]:/.test(name)) return 'a drive letter (an absolute Windows path)';
  if (name.startsWith('/')) return 'an absolute path';
  const parts = name.split('/');
  if (parts.includes('..')) return 'a ".." component (a path that climbs out of the folder)';
  if (parts.some((p, i) => p === '' && i < parts.length - 1)) return 'an empty path component';
  if (parts.includes('.')) return 'a "." component';
  const bad = parts.find((p) => p.includes(':') || /[<>|"?*]/.test(p) || RESERVED.test(p) || /[ .]$/.test(p));
  if (bad !== undefined) return `a part Windows cannot hold as a file name ("${bad}")`;
  return undefined;
}

/**
 * Why a relative output path from a recipe or a flag (taskSequence.out, stamp.file) is not a plain
 * path below its folder; "/" and "\\" both separate folders there, as on Windows (issue 16.11).
 */
export function relativePathProblem(value: string): string | undefined {
  return entryNameProblem(value.replaceAll('\\', '/').replace(/\/+$/, ''), 'win32');
}

/** Free bytes for an unprivileged writer on the disk that holds dir; undefined when unknown (a share reporting 0). */
async function freeBytes(dir: string): Promise<number | undefined> {
  let probe = path.resolve(dir);
  for (;;) {
    try {
      const fs = await statfs(probe);
      return fs.blocks === 0 ? undefined : fs.bavail * fs.bsize;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return undefined;
      probe = parent;
    }
  }
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** Refuses the archive (naming the entries) when any entry is unsafe to write; changes nothing. */
export function checkEntries(archive: string, entries: readonly ArchiveEntry[]): void {
  const problems: string[] = [];
  for (const entry of entries) {
    const raw = entry.raw ?? entry.path;
    const problem = entry.link !== undefined ? `a link (to ${entry.link})` : entryNameProblem(raw);
    if (problem) problems.push(`"${raw}": ${problem}`);
  }
  if (problems.length > 0) {
    throw new MediaError(
      `${path.basename(archive)} holds ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} that cannot be written safely: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
      {
        fix: 'A genuine update package holds plain relative file names only: remove the file from the updates folder and download it again from the Microsoft Update Catalog. Nothing was written.',
      },
    );
  }
}

/** Every link below root (lstat, never followed); 7-Zip without -snld refuses dangerous ones, older builds may not. */
async function linksBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if ((await lstat(full)).isSymbolicLink()) found.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return found;
}

/**
 * Refuses to write `declared` bytes of an archive into destDir when that is more than the cap or
 * than the free space of destDir's disk (minus a margin); returns the free bytes (undefined: unknown).
 */
export async function checkRoom(archive: string, declared: number, destDir: string, cap: number): Promise<number | undefined> {
  if (declared > cap) {
    throw new MediaError(`${path.basename(archive)} declares ${mib(declared)} of files, more than the ${mib(cap)} an update package may expand to`, {
      fix: 'This is not a genuine update package (a Setup Dynamic Update expands to a few hundred MB at most): remove it and download it again from the Microsoft Update Catalog. Nothing was written.',
    });
  }
  const free = await freeBytes(path.dirname(destDir));
  if (free !== undefined && declared + FREE_MARGIN > free) {
    throw new MediaError(
      `Not enough free space to expand ${path.basename(archive)}: it declares ${mib(declared)}, the disk of ${path.dirname(destDir)} has ${mib(free)} free`,
      { fix: 'Free space on the workspace disk (or choose a workspace on a larger disk with --workspace), then run again. Nothing was written.' },
    );
  }
  return free;
}

export interface SafeExtractOptions {
  logDir?: string;
  /** The largest expansion allowed; default DEFAULT_EXPAND_CAP (OSMEDIA_MAX_EXPAND_BYTES overrides it). */
  maxBytes?: number;
}

/**
 * Expands archive into destDir (which must not exist yet) after judging its listing; on any failure
 * destDir is removed, so a refused or failed expansion leaves nothing behind.
 */
export async function safeExtract(sevenZip: SevenZip, archive: string, destDir: string, options: SafeExtractOptions = {}): Promise<void> {
  const listing = await sevenZip.list(archive);
  checkEntries(archive, listing.entries);
  const declared = listing.entries.reduce((sum, e) => sum + (e.folder ? 0 : e.size), 0);
  await checkRoom(archive, declared, destDir, options.maxBytes ?? (Number(process.env.OSMEDIA_MAX_EXPAND_BYTES) || DEFAULT_EXPAND_CAP));
  await mkdir(destDir, { recursive: true });
  try {
    await sevenZip.extract(archive, destDir, { logDir: options.logDir });
    const links = await linksBelow(destDir);
    if (links.length > 0)
      throw new MediaError(`${path.basename(archive)} expanded into link(s): ${links.slice(0, 5).join(', ')}`, {
        fix: 'A genuine update package holds no links: remove the file and download it again from the Microsoft Update Catalog. Nothing was written.',
      });
  } catch (error) {
    await rm(destDir, { recursive: true, force: true });
    // 7-Zip's own words for a full disk; a declared size can lie, so a bomb may still fill the disk.
    const said = `${(error as Error).message} ${(error as { cause?: { output?: string } }).cause?.output ?? ''} ${(error as NodeJS.ErrnoException).code ?? ''}`;
    if (!/no space|not enough space|disk full|ENOSPC/i.test(said)) throw error;
    throw new MediaError(`The disk of ${path.dirname(destDir)} filled up while expanding ${path.basename(archive)}; its partial files were removed`, {
      fix: 'Free space on the workspace disk (or choose a workspace on a larger disk with --workspace), then run again. If the package expands to far more than it declared, it is not genuine: download it again.',
      cause: error,
    });
  }
}
