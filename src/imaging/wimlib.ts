// wimlib-imagex adapter: builds argv, runs it, parses what it prints. Metadata comes from the WIM's
// XML (`info --xml`) and header (`info --header`), never from the human-oriented text listing.
import { MediaError, ToolError } from '../util/errors.ts';
import { runTool, runToolBuffer } from '../util/exec.ts';
import type { Compression, ImageEngine, ProgressCallback, WimInfo } from './types.ts';
import { decodeWimXml, parseWimXml } from './wimxml.ts';

export function wimlibPath(): string {
  return process.env.OSMEDIA_WIMLIB || 'wimlib-imagex';
}

const UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** Parses wimlib's progress lines, e.g. "Archiving file data: 12 MiB of 98 MiB (12%) done". */
export function parseWimlibProgress(line: string): { done: number; total: number } | undefined {
  const match = /(\d+) (bytes|KiB|MiB|GiB|TiB) of (\d+) (bytes|KiB|MiB|GiB|TiB) \((\d+)%\)/.exec(line);
  if (!match) return undefined;
  return { done: Number(match[1]) * UNITS[match[2]!]!, total: Number(match[3]) * UNITS[match[4]!]! };
}

/** Parses `wimlib-imagex info --header` ("Image Count = 4", "Boot Index = 2", flags). */
export function parseWimlibHeader(textOut: string): { imageCount: number; bootIndex: number; compression: string; partNumber: number; totalParts: number } {
  const fields = new Map<string, string>();
  const flags: string[] = [];
  for (const line of textOut.split(/\r?\n/)) {
    const kv = /^(\S.*?)\s+=\s+(.*)$/.exec(line);
    if (kv) fields.set(kv[1]!.trim(), kv[2]!.trim());
    const flag = /^\s+WIM_HDR_FLAG_(\w+) is set/.exec(line);
    if (flag) flags.push(flag[1]!);
  }
  const number = (key: string) => {
    const value = fields.get(key);
    if (value === undefined) throw new Error(`wimlib header has no "${key}" field`);
    return Number(value);
  };
  const compression = flags.find((f) => f.startsWith('COMPRESS_'))?.slice('COMPRESS_'.length) ?? 'none';
  return {
    imageCount: number('Image Count'),
    bootIndex: number('Boot Index'),
    compression: compression === 'XPRESS' || compression === 'LZX' || compression === 'LZMS' ? compression : compression.toUpperCase(),
    partNumber: number('Part Number'),
    totalParts: number('Total Parts'),
  };
}

/** Adds the WIM's path to wimlib's own words, and says what to do. */
function damaged(wim: string, error: unknown): MediaError {
  const detail = error instanceof ToolError ? error.message.split('\n').slice(1).join(' ').trim() : String(error);
  return new MediaError(`${wim} is not a readable WIM file (${detail || 'wimlib could not read it'})`, {
    fix: 'The file is damaged or truncated: copy it again from the original media, or re-download the ISO and compare its SHA-256.',
    cause: error,
  });
}

function progressHandler(onProgress?: ProgressCallback): ((line: string) => void) | undefined {
  if (!onProgress) return undefined;
  return (line) => {
    const sample = parseWimlibProgress(line);
    if (sample) onProgress({ ...sample, unit: 'bytes' });
  };
}

export class WimlibEngine implements ImageEngine {
  readonly name = 'wimlib' as const;
  private readonly file: string;
  constructor(file: string = wimlibPath()) {
    this.file = file;
  }

  async info(wim: string): Promise<WimInfo> {
    let headerText: string;
    let xml: Buffer;
    try {
      headerText = (await runTool({ tool: 'wimlib-imagex', file: this.file, args: ['info', wim, '--header'] })).stdout;
      xml = await runToolBuffer({ tool: 'wimlib-imagex', file: this.file, args: ['info', wim, '--xml'] });
    } catch (error) {
      if (error instanceof ToolError && error.toolExitCode !== undefined) throw damaged(wim, error);
      throw error;
    }
    const header = parseWimlibHeader(headerText);
    const images = parseWimXml(decodeWimXml(xml));
    if (images.length !== header.imageCount) {
      throw new MediaError(`${wim}: its header counts ${header.imageCount} images but its XML describes ${images.length}`, {
        fix: 'The WIM is inconsistent; export it again from the original media.',
      });
    }
    return { imageCount: header.imageCount, bootIndex: header.bootIndex, compression: header.compression, images };
  }

  /** argv for exporting one image; appending to an existing dest adds it as the next index. */
  exportArgs(source: string, index: number, dest: string, compression?: Compression): string[] {
    const args = ['export', source, String(index), dest];
    if (compression) args.push(`--compress=${compression}`);
    if (compression === 'LZMS') args.push('--solid');
    return args;
  }

  async exportImages(
    source: string,
    indexes: readonly number[],
    dest: string,
    options: { compression?: Compression; onProgress?: ProgressCallback; logDir?: string } = {},
  ): Promise<void> {
    for (const index of indexes) {
      await runTool(
        { tool: 'wimlib-imagex', file: this.file, args: this.exportArgs(source, index, dest, options.compression) },
        { onLine: progressHandler(options.onProgress), logDir: options.logDir },
      );
    }
  }

  /** Converts install.esd (solid LZMS) into an ordinary WIM with every image. */
  async convertEsd(esd: string, dest: string, compression: Compression, options: { onProgress?: ProgressCallback; logDir?: string } = {}): Promise<void> {
    const args = ['export', esd, 'all', dest, `--compress=${compression}`];
    if (compression === 'LZMS') args.push('--solid');
    await runTool({ tool: 'wimlib-imagex', file: this.file, args }, { onLine: progressHandler(options.onProgress), logDir: options.logDir });
  }

  /**
   * Extracts files of one image (paths inside the image, '/'-separated) into destDir, flat.
   * Case-insensitive, as Windows paths are (wimlib's default on Linux is case-sensitive).
   */
  async extractFiles(wim: string, index: number, paths: readonly string[], destDir: string, options: { logDir?: string } = {}): Promise<void> {
    await runTool(
      {
        tool: 'wimlib-imagex',
        file: this.file,
        args: ['extract', wim, String(index), ...paths.map((p) => `/${p.replace(/^\/+/, '')}`), `--dest-dir=${destDir}`, '--no-acls', '--no-attributes'],
      },
      { logDir: options.logDir, env: { WIMLIB_IMAGEX_IGNORE_CASE: '1' } },
    );
  }

  /** Every path under a folder of one image ('/'-separated, no leading slash; folders too); [] when the folder is missing. */
  async listFiles(wim: string, index: number, under: string): Promise<string[]> {
    const args = ['dir', wim, String(index), `--path=/${under.replace(/^\/+/, '')}`];
    const result = await runTool({ tool: 'wimlib-imagex', file: this.file, args }, { env: { WIMLIB_IMAGEX_IGNORE_CASE: '1' } }).catch((error: unknown) => {
      if (error instanceof ToolError && error.toolExitCode === 49) return undefined; // WIMLIB_ERR_PATH_DOES_NOT_EXIST
      throw error;
    });
    if (!result) return [];
    return result.stdout
      .split(/\r?\n/)
      .map((line) => line.replace(/^\/+/, ''))
      .filter(Boolean);
  }

  /** Replaces (or adds) one file inside an image, in place (`wimlib-imagex update`). */
  async replaceFile(wim: string, index: number, source: string, pathInImage: string, options: { logDir?: string } = {}): Promise<void> {
    const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
    await runTool(
      {
        tool: 'wimlib-imagex',
        file: this.file,
        args: ['update', wim, String(index), `--command=add ${quote(source)} ${quote(`/${pathInImage.replace(/^\/+/, '')}`)}`],
      },
      { logDir: options.logDir, env: { WIMLIB_IMAGEX_IGNORE_CASE: '1' } },
    );
  }

  /** Joins split install.swm, install2.swm, … into one WIM. */
  async join(parts: readonly string[], dest: string, options: { logDir?: string; onProgress?: ProgressCallback } = {}): Promise<void> {
    await runTool(
      { tool: 'wimlib-imagex', file: this.file, args: ['join', dest, ...parts] },
      { onLine: progressHandler(options.onProgress), logDir: options.logDir },
    );
  }
}
