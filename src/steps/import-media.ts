// import-media: an ISO or an extracted media folder into workspace/media. The source is only read.
// ISOs are extracted with 7-Zip; install.esd is converted and split .swm joined with wimlib.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readIso9660Label } from '../imaging/sevenzip.ts';
import type { Compression, WimInfo } from '../imaging/types.ts';
import { detectLayout, type MediaLayout } from '../media/layout.ts';
import { fingerprintFiles, MANIFEST_SCHEMA_VERSION, type FileEntry, type Manifest, type WimRecord } from '../media/manifest.ts';
import { MediaError } from '../util/errors.ts';
import { faultPoint } from '../util/fault.ts';
import { copyFileHashed, exists, hashFile, listTree, makeTreeWritable, mapLimit, removeTree } from '../util/fs.ts';
import { OSMEDIA_VERSION } from '../version.ts';
import { sourceImages } from '../media/source-images.ts';
import { check } from './preflight.ts';
import { engineField } from './fields.ts';
import type { Problem, Step, StepContext } from './types.ts';

export const ImportOptionsSchema = z.strictObject({
  source: z.string().min(1, 'the path of an ISO or of an extracted media folder').meta({
    flag: 'source',
    short: 's',
    placeholder: 'PATH',
    example: 'D:\\isos\\win11_24h2.iso',
    description: 'an ISO, or a folder with setup.exe and sources/install.wim|esd|swm (the source is never modified)',
  }),
  /** Expected SHA-256 of the ISO (or of the folder's file list); a mismatch is a hard error. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 of 64 hex digits')
    .optional()
    .meta({ flag: 'sha256', placeholder: 'HEX', description: 'expected SHA-256 of the ISO; a mismatch stops the import' }),
  /** Compression of the install.wim made from install.esd or split .swm. */
  compression: z.enum(['LZX', 'XPRESS', 'LZMS', 'none']).default('LZX').meta({
    flag: 'compression',
    placeholder: 'TYPE',
    description: 'compression of install.wim made from install.esd or .swm: LZX (default), XPRESS, LZMS or none',
  }),
});
export type ImportOptions = z.infer<typeof ImportOptionsSchema>;

/** Flags of the import-media command that are not step options. */
export const ImportFlags = z.object({
  force: z
    .boolean()
    .optional()
    .meta({ flag: 'force', short: 'f', description: 'replace the media/ folder and manifest the workspace already holds (other files are left alone)' }),
  engine: engineField(),
});

const HASH_WORKERS = 2;

async function statSource(source: string) {
  try {
    return await stat(source);
  } catch (error) {
    throw new MediaError(`The source ${source} does not exist or cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      fix: 'Check the path; for a network share make sure it is mounted (Linux) or reachable as a UNC path by the runner account (Windows).',
      cause: error,
    });
  }
}

/** SHA-256 over a folder's files (path, size, hash): the folder's identity as a source. */
function folderDigest(entries: FileEntry[]): string {
  return fingerprintFiles(entries);
}

async function hashTree(root: string, context: StepContext, phase: string, known: Map<string, string> = new Map()): Promise<FileEntry[]> {
  const files = await listTree(root);
  const total = files.filter((f) => !known.has(f.path)).reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  return mapLimit(files, HASH_WORKERS, async (file) => {
    const sha256 =
      known.get(file.path) ??
      (await hashFile(path.join(root, ...file.path.split('/')), (bytes) => {
        done += bytes;
        context.reporter.emit({ type: 'progress', step: 'import-media', phase, done, total, unit: 'bytes' });
      }));
    return { ...file, sha256 };
  });
}

/** Replaces install.esd or split .swm in the staging tree with a single install.wim. */
async function materializeInstallWim(context: StepContext, layout: MediaLayout, partPaths: string[], staged: string, compression: Compression): Promise<void> {
  if (layout.installKind === 'wim') return;
  const dest = path.join(staged, 'sources', 'install.wim');
  const onProgress = (phase: string) => (sample: { done: number; total: number }) =>
    context.reporter.emit({ type: 'progress', step: 'import-media', phase, done: sample.done, total: sample.total, unit: 'bytes' });
  if (layout.installKind === 'esd') {
    context.reporter.emit({ type: 'info', step: 'import-media', message: `converting install.esd to install.wim (${compression})` });
    await context.wimlib.convertEsd(partPaths[0]!, dest, compression, { onProgress: onProgress('converting install.esd'), logDir: context.workspace.logsDir });
  } else {
    context.reporter.emit({ type: 'info', step: 'import-media', message: `joining ${partPaths.length} split parts into install.wim` });
    await context.wimlib.join(partPaths, dest, { onProgress: onProgress('joining install.swm'), logDir: context.workspace.logsDir });
  }
  // Parts extracted from an ISO sit in the staging tree; they are not part of the serviced media.
  for (const part of layout.installParts) await rm(path.join(staged, ...part.split('/')), { force: true });
}

function wimRecord(relPath: string, info: WimInfo): WimRecord {
  return { path: relPath, compression: info.compression, bootIndex: info.bootIndex, images: info.images };
}

export type ImportSummary = {
  sourceKind: 'iso' | 'folder';
  installKind: MediaLayout['installKind'];
  images: { index: number; name: string; editionId: string; version: string }[];
  files: number;
  bytes: number;
};

export const importMedia: Step<ImportOptions, string[], ImportSummary> = {
  id: 'import-media',
  title: 'Importing media',
  schema: ImportOptionsSchema,

  async identity(options) {
    // A pinned source is its content: the same pin is the same media wherever the ISO lies (a
    // cache restored on another runner, a share remounted). The pin is checked when importing.
    if (options.sha256) return { sha256: options.sha256.toLowerCase(), compression: options.compression };
    // Otherwise a quick identity, like rsync's: path, size and mtime.
    const source = path.resolve(options.source);
    const info = await statSource(source);
    return { source, size: info.isDirectory() ? 0 : info.size, mtimeMs: Math.trunc(info.mtimeMs), compression: options.compression };
  },

  /** The source exists and is Windows media; its image list, read without extracting (for the next steps' checks). */
  async preflight(context, _before, options) {
    const problems: Problem[] = [];
    const source = path.resolve(options.source);
    const images = await check('import-media', problems, async () => sourceImages(source, (await statSource(source)).isDirectory(), context.sevenZip));
    return { problems, after: images ? { images } : {} };
  },

  plan(_manifest, options) {
    return [`import ${path.resolve(options.source)} into media/ (install.esd or .swm become install.wim, ${options.compression})`];
  },

  async apply(context, _previous, options) {
    const { workspace, reporter } = context;
    const source = path.resolve(options.source);
    const sourceInfo = await statSource(source);
    const inside = path.relative(source, workspace.root);
    if (sourceInfo.isDirectory() && !inside.startsWith('..') && !path.isAbsolute(inside)) {
      throw new MediaError(`The workspace ${workspace.root} is inside the source ${source}`, {
        fix: 'Choose a workspace outside the source folder: the source is never written to.',
      });
    }
    const staged = path.join(workspace.stagingDir, 'media');
    await removeTree(workspace.stagingDir);
    await workspace.assertNoLinkOnTheWay(path.join(staged, 'x')); // .osmedia planted as a link would carry the media elsewhere (issue 16.5)
    await mkdir(staged, { recursive: true });

    let layout: MediaLayout;
    let sourceSha256: string;
    let volumeLabel: string | undefined;
    let partPaths: string[];
    const known = new Map<string, string>();
    const kind = sourceInfo.isDirectory() ? 'folder' : 'iso';

    if (kind === 'iso') {
      const listing = await context.sevenZip.list(source);
      if (listing.type !== 'Udf' && listing.type !== 'Iso') {
        throw new MediaError(`${source} is a ${listing.type} archive, not a disc image`, { fix: 'Pass a Windows ISO, or a folder extracted from one.' });
      }
      layout = detectLayout(
        listing.entries.filter((e) => !e.folder).map((e) => e.path),
        source,
      );
      volumeLabel = listing.volumeId ?? (await readIso9660Label(source));
      reporter.emit({
        type: 'info',
        step: 'import-media',
        message: `extracting ${path.basename(source)} (${listing.type}, label ${volumeLabel ?? 'none'}) with 7-Zip`,
      });
      // Hash the ISO while 7-Zip extracts it: both read the same file, so the page cache serves one of them.
      const hashing = hashFile(source);
      hashing.catch(() => {}); // awaited below; if extraction fails first, its error is the one to report
      await context.sevenZip.extract(source, staged, {
        logDir: workspace.logsDir,
        onProgress: (sample) =>
          reporter.emit({ type: 'progress', step: 'import-media', phase: 'extracting', done: sample.done, total: sample.total, unit: 'percent' }),
      });
      sourceSha256 = await hashing;
      partPaths = layout.installParts.map((p) => path.join(staged, ...p.split('/')));
    } else {
      const files = await listTree(source);
      layout = detectLayout(
        files.map((f) => f.path),
        source,
      );
      const parts = new Set(layout.installKind === 'wim' ? [] : layout.installParts);
      const toCopy = files.filter((f) => !parts.has(f.path));
      const total = toCopy.reduce((sum, f) => sum + f.size, 0);
      let done = 0;
      reporter.emit({ type: 'info', step: 'import-media', message: `copying ${toCopy.length} files from ${source}` });
      const digests = await mapLimit(files, HASH_WORKERS, async (file) => {
        const from = path.join(source, ...file.path.split('/'));
        if (parts.has(file.path)) return { ...file, sha256: await hashFile(from) };
        const sha256 = await copyFileHashed(from, path.join(staged, ...file.path.split('/')), (bytes) => {
          done += bytes;
          reporter.emit({ type: 'progress', step: 'import-media', phase: 'copying', done, total, unit: 'bytes' });
        });
        known.set(file.path, sha256);
        return { ...file, sha256 };
      });
      sourceSha256 = folderDigest(digests);
      partPaths = layout.installParts.map((p) => path.join(source, ...p.split('/')));
    }

    if (options.sha256 && options.sha256.toLowerCase() !== sourceSha256) {
      throw new MediaError(`The source ${source} has SHA-256 ${sourceSha256}, not the pinned ${options.sha256.toLowerCase()}`, {
        fix: 'The file is not the one the recipe was reviewed with: download it again, or update the pin in a reviewed change.',
      });
    }

    faultPoint('import-extracted');
    await materializeInstallWim(context, layout, partPaths, staged, options.compression);
    await makeTreeWritable(staged);

    const installWim = 'sources/install.wim';
    const installInfo = await context.engine.info(path.join(staged, 'sources', 'install.wim'));
    const bootPath = layout.bootWim ? layout.bootWim : undefined;
    const bootInfo = bootPath ? await context.engine.info(path.join(staged, ...bootPath.split('/'))) : undefined;
    if (!bootPath)
      reporter.emit({
        type: 'warning',
        step: 'import-media',
        message: 'the media has no sources/boot.wim: boot media and setup files cannot be refreshed from it',
      });

    const files = await hashTree(staged, context, 'hashing media', known);
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      osmediaVersion: OSMEDIA_VERSION,
      source: {
        path: source,
        kind,
        size: kind === 'iso' ? sourceInfo.size : files.reduce((s, f) => s + f.size, 0),
        mtimeMs: Math.trunc(sourceInfo.mtimeMs),
        sha256: sourceSha256,
        volumeLabel,
        installKind: layout.installKind,
      },
      installWim: wimRecord(installWim, installInfo),
      bootWim: bootInfo && bootPath ? wimRecord(bootPath, bootInfo) : undefined,
      files,
      fingerprint: fingerprintFiles(files),
      updates: [],
      history: [],
    };

    // Only now, with the new tree complete and verified, does the old one go away.
    await rm(workspace.manifestPath, { force: true });
    faultPoint('import-verified');
    const cleanup: string[] = [];
    if (await exists(workspace.mediaDir)) {
      const trash = await workspace.tempPath('old-media');
      await rename(workspace.mediaDir, trash);
      cleanup.push(trash);
    }
    const summary: ImportSummary = {
      sourceKind: kind,
      installKind: layout.installKind,
      images: installInfo.images.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId, version: i.version })),
      files: files.length,
      bytes: files.reduce((s, f) => s + f.size, 0),
    };
    return {
      manifest,
      renames: [{ from: staged, to: workspace.mediaDir }],
      cleanup,
      summary,
      message: `${installInfo.images.length} image(s) in install.wim, ${files.length} files imported from ${kind === 'iso' ? 'ISO' : 'folder'}`,
    };
  },
};
