// DISM adapter (Windows only). It builds argv and parses DISM's /English console output; here on
// Linux it is tested by replaying recorded output. Package servicing (apply-updates) extends it.
import path from 'node:path';
import { MediaError, ToolError } from '../util/errors.ts';
import { runTool } from '../util/exec.ts';
import type { Compression, ImageEngine, ImageInfo, ProgressCallback, WimInfo } from './types.ts';

export function dismPath(): string {
  if (process.env.OSMEDIA_DISM) return process.env.OSMEDIA_DISM;
  const root = process.env.SystemRoot ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', 'Dism.exe');
}

const DISM_COMPRESSION: Record<Compression, string> = { none: 'none', XPRESS: 'fast', LZX: 'max', LZMS: 'recovery' };

/** Parses `dism /English /Get-ImageInfo` output: the summary list, or one index's detail. */
export function parseDismImageInfo(output: string): Partial<ImageInfo>[] {
  const images: Partial<ImageInfo>[] = [];
  let current: Partial<ImageInfo> | undefined;
  let inLanguages = false;
  let major = '';
  for (const raw of output.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    const field = /^([A-Za-z][\w ]*?) : ?(.*)$/.exec(line);
    if (inLanguages && /^\s+\S/.test(line) && current) {
      const lang = /^\s+(\S+)( \(Default\))?/.exec(line)!;
      current.languages = [...(current.languages ?? []), lang[1]!];
      if (lang[2]) current.defaultLanguage = lang[1]!;
      continue;
    }
    inLanguages = false;
    if (!field) continue;
    const [, key, value] = field as unknown as [string, string, string];
    if (key === 'Index') {
      current = { index: Number(value), languages: [] };
      images.push(current);
      continue;
    }
    if (!current) continue;
    switch (key) {
      case 'Name':
        current.name = value;
        break;
      case 'Description':
        current.description = value;
        break;
      case 'Size':
        current.totalBytes = Number(value.replace(/\D/g, ''));
        break;
      case 'Architecture':
        current.architecture = value;
        break;
      case 'Version':
        major = value;
        current.version = value;
        break;
      case 'ServicePack Build':
        current.version = `${major}.${value}`;
        break;
      case 'Edition':
        current.editionId = value;
        break;
      case 'Installation':
        current.installationType = value;
        break;
      case 'ProductType':
        current.productType = value;
        break;
      case 'Languages':
        inLanguages = true;
        break;
    }
  }
  return images;
}

export class DismEngine implements ImageEngine {
  readonly name = 'dism' as const;
  private readonly file: string;
  private readonly logDir: string | undefined;
  constructor(file: string = dismPath(), logDir?: string) {
    this.file = file;
    this.logDir = logDir;
  }

  private common(operation: string): string[] {
    const args = ['/English'];
    if (this.logDir) args.push(`/LogPath:${path.win32.join(this.logDir, `dism-${operation}-${Date.now()}.log`)}`);
    return args;
  }

  infoArgs(wim: string, index?: number): string[] {
    return ['/Get-ImageInfo', `/ImageFile:${wim}`, ...(index ? [`/Index:${index}`] : []), ...this.common('get-imageinfo')];
  }

  exportArgs(source: string, index: number, dest: string, compression: Compression = 'LZX'): string[] {
    return [
      '/Export-Image',
      `/SourceImageFile:${source}`,
      `/SourceIndex:${index}`,
      `/DestinationImageFile:${dest}`,
      `/Compress:${DISM_COMPRESSION[compression]}`,
      '/CheckIntegrity',
      ...this.common('export-image'),
    ];
  }

  async info(wim: string): Promise<WimInfo> {
    const run = async (args: string[]) => {
      try {
        return (await runTool({ tool: 'DISM', file: this.file, args }, { logDir: this.logDir })).stdout;
      } catch (error) {
        if (error instanceof ToolError && error.toolExitCode !== undefined) {
          throw new MediaError(`DISM cannot read ${wim} (exit code ${error.toolExitCode})`, {
            fix: `The WIM is damaged or not a WIM: copy it again from the original media.${error.logPath ? ` DISM's output: ${error.logPath}` : ''}`,
            cause: error,
          });
        }
        throw error;
      }
    };
    const summary = parseDismImageInfo(await run(this.infoArgs(wim)));
    const images: ImageInfo[] = [];
    for (const entry of summary) {
      const [detail] = parseDismImageInfo(await run(this.infoArgs(wim, entry.index)));
      // The list is authoritative for index and name; the detail adds edition, build and languages.
      images.push({
        description: '',
        displayName: '',
        editionId: '',
        architecture: '',
        languages: [],
        defaultLanguage: '',
        version: '',
        installationType: '',
        productType: '',
        totalBytes: 0,
        ...detail,
        index: entry.index!,
        name: entry.name ?? detail?.name ?? '',
      });
    }
    return { imageCount: images.length, bootIndex: 0, compression: 'unknown', images };
  }

  async exportImages(
    source: string,
    indexes: readonly number[],
    dest: string,
    options: { compression?: Compression; onProgress?: ProgressCallback } = {},
  ): Promise<void> {
    for (const index of indexes) {
      await runTool(
        { tool: 'DISM', file: this.file, args: this.exportArgs(source, index, dest, options.compression) },
        {
          logDir: this.logDir,
          onLine: (line) => {
            const match = /\[[= ]*(\d+(?:\.\d+)?)%[= ]*\]/.exec(line);
            if (match && options.onProgress) options.onProgress({ done: Number(match[1]), total: 100, unit: 'percent' });
          },
        },
      );
    }
  }
}

// ---- Package servicing (apply-updates) ---------------------------------------------------------

export interface DismPackage {
  identity: string;
  state: string;
  releaseType: string;
}

/**
 * DISM's "Key : value" records (/Get-Packages, /Get-MountedWimInfo): a record starts at the line
 * whose key is `first`; only the named keys are kept, and lines before the first record are ignored.
 */
function dismRecords(output: string, first: string, keys: readonly string[]): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  for (const line of output.replace(/\r\n/g, '\n').split('\n')) {
    const field = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!field || !keys.includes(field[1]!)) continue;
    if (field[1] === first) records.push({});
    const current = records.at(-1);
    if (current) current[field[1]!] = field[2]!;
  }
  return records;
}

/** Parses `/Get-Packages`: 4-line records, "Package Identity : …", "State : Installed", … */
export function parseDismPackages(output: string): DismPackage[] {
  return dismRecords(output, 'Package Identity', ['Package Identity', 'State', 'Release Type']).map((r) => ({
    identity: r['Package Identity']!,
    state: r['State'] ?? '',
    releaseType: r['Release Type'] ?? '',
  }));
}

export interface MountedImage {
  mountDir: string;
  imageFile: string;
  index: number;
  readWrite: boolean;
  status: string;
}

/** Parses `/Get-MountedWimInfo` ("Mount Dir : …", "Image File : …", "Image Index : 1", "Status : Ok"). */
export function parseMountedImages(output: string): MountedImage[] {
  return dismRecords(output, 'Mount Dir', ['Mount Dir', 'Image File', 'Image Index', 'Mounted Read/Write', 'Status']).map((r) => ({
    mountDir: r['Mount Dir']!,
    imageFile: r['Image File'] ?? '',
    index: Number(r['Image Index'] ?? 0),
    readWrite: /^yes$/i.test(r['Mounted Read/Write'] ?? ''),
    status: r['Status'] ?? '',
  }));
}

/** Parses DISM's redrawn progress bar "[====  42.0%  ]" into a percentage. */
export function parseDismProgress(line: string): number | undefined {
  const match = /\[[= ]*(\d+(?:\.\d+)?)%[= ]*\]/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** argv for the servicing commands, each with /English, a log per operation and (where DISM takes one) the scratch folder. */
export class DismCommands {
  private count = 0;
  private readonly options: { logDir?: string; scratchDir?: string };
  constructor(options: { logDir?: string; scratchDir?: string } = {}) {
    this.options = options;
  }

  private common(operation: string, scratch: boolean): string[] {
    const args = ['/English'];
    this.count += 1;
    if (this.options.logDir) args.push(`/LogPath:${path.win32.join(this.options.logDir, `dism-${String(this.count).padStart(3, '0')}-${operation}.log`)}`);
    if (scratch && this.options.scratchDir) args.push(`/ScratchDir:${this.options.scratchDir}`);
    return args;
  }

  getMountedWimInfo(): string[] {
    return ['/Get-MountedWimInfo', ...this.common('get-mountedwiminfo', false)];
  }
  cleanupMountpoints(): string[] {
    return ['/Cleanup-Mountpoints', ...this.common('cleanup-mountpoints', false)];
  }
  mount(wim: string, index: number, mountDir: string, readOnly = false): string[] {
    return [
      '/Mount-Image',
      `/ImageFile:${wim}`,
      `/Index:${index}`,
      `/MountDir:${mountDir}`,
      ...(readOnly ? ['/ReadOnly'] : []),
      ...this.common('mount-image', true),
    ];
  }
  addPackage(mountDir: string, packagePath: string): string[] {
    return [`/Image:${mountDir}`, '/Add-Package', `/PackagePath:${packagePath}`, ...this.common('add-package', true)];
  }
  cleanupImage(mountDir: string, resetBase: boolean): string[] {
    return [`/Image:${mountDir}`, '/Cleanup-Image', '/StartComponentCleanup', ...(resetBase ? ['/ResetBase'] : []), ...this.common('cleanup-image', true)];
  }
  enableNetFx3(mountDir: string, source: string): string[] {
    return [
      `/Image:${mountDir}`,
      '/Enable-Feature',
      '/FeatureName:NetFx3',
      '/All',
      '/LimitAccess',
      `/Source:${source}`,
      ...this.common('enable-feature', true),
    ];
  }
  getPackages(mountDir: string): string[] {
    return [`/Image:${mountDir}`, '/Get-Packages', ...this.common('get-packages', true)];
  }
  unmount(mountDir: string, commit: boolean): string[] {
    return ['/Unmount-Image', `/MountDir:${mountDir}`, commit ? '/Commit' : '/Discard', ...this.common('unmount-image', false)];
  }
  exportImage(source: string, index: number, dest: string): string[] {
    return [
      '/Export-Image',
      `/SourceImageFile:${source}`,
      `/SourceIndex:${index}`,
      `/DestinationImageFile:${dest}`,
      '/Compress:max',
      '/CheckIntegrity',
      ...this.common('export-image', true),
    ];
  }
}
