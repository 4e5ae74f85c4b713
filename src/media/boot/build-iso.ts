// `osmedia build-iso`: the workspace media as a bootable ISO (src/media/boot/iso.ts says how), with
// the boot manager the media carry, or the Windows UEFI CA 2023 one on request. The workspace is
// locked while it is read and never changed.
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { wimlibPath, type WimlibEngine } from '../../imaging/wimlib.ts';
import { UsageError } from '../../util/errors.ts';
import type { Reporter } from '../../util/events.ts';
import { runTool } from '../../util/exec.ts';
import { faultPoint } from '../../util/fault.ts';
import type { Manifest } from '../manifest.ts';
import type { Workspace } from '../workspace.ts';
import { describeCa, type BootCa } from './authenticode.ts';
import { mediaCa, SETUP_BOOT_STL, stageBootFiles, type BootWimFiles } from './boot-files.ts';
import { checkBootImages, chooseIsoTool, FOUR_GIB, isoLabel, linkTree, publishIso, UEFI_BOOT_IMAGE, UEFI_BOOT_IMAGE_2023, writeIso } from './iso.ts';

export interface BuildIsoOptions {
  workspace: Workspace;
  reporter: Reporter;
  wimlib: WimlibEngine;
  output: string;
  /** '2023': the ISO boots the Windows UEFI CA 2023 boot manager (from boot.wim index 1). */
  bootManager?: '2023' | 'keep';
  /** Split sources/install.wim into install.swm parts of this many MiB in the ISO (FAT32 USB sticks, old readers). */
  splitSwmMiB?: number;
  env?: NodeJS.ProcessEnv;
  /** The caller holds the workspace lock already (the step runner does). */
  locked?: boolean;
  /** The manifest the caller's session read (else it is read here). */
  manifest?: Manifest;
}

export interface BuildIsoResult {
  output: string;
  tool: string;
  label: string;
  efiImage: string;
  bootManager: string;
  bootManagerCa?: BootCa;
  size: number;
  /** Files of 4 GiB or more, and how the ISO carries them. */
  largeFiles: { path: string; size: number; stored: string }[];
  notes: string[];
}

function wimReader(wimlib: WimlibEngine, logDir: string): BootWimFiles {
  return {
    name: 'wimlib',
    list: (wim, index, under) => wimlib.listFiles(wim, index, under),
    extractFiles: (wim, index, paths, dest) => wimlib.extractFiles(wim, index, paths, dest, { logDir }),
  };
}

/** Replaces one file of the staging tree (a hard link) by a copy of `file`, leaving the media's inode alone. */
async function replaceStaged(root: string, mediaPath: string, file: string): Promise<void> {
  const dest = path.join(root, ...mediaPath.split('/'));
  await rm(dest, { force: true });
  await mkdir(path.dirname(dest), { recursive: true });
  await copyFile(file, dest);
}

export async function buildIso(o: BuildIsoOptions): Promise<BuildIsoResult> {
  const { workspace, reporter } = o;
  const info = (message: string) => reporter.emit({ type: 'info', message });
  const output = path.resolve(o.output);
  if (!output.toLowerCase().endsWith('.iso'))
    throw new UsageError(`--output ${o.output} is not an .iso file`, { fix: 'Name the ISO file, e.g. --output Win11-24H2.iso.' });
  const tool = await chooseIsoTool(o.env);
  const release = o.locked ? async () => {} : await workspace.lock(`osmedia build-iso --output ${o.output}`, reporter);
  const cleanup: string[] = [];
  const partial = path.join(path.dirname(output), `.${path.basename(output)}.osmedia-partial`);
  try {
    const manifest = o.manifest ?? (await workspace.loadManifest());
    await mkdir(path.dirname(output), { recursive: true }); // the ISO's folder, as a user names it
    const mediaFiles = manifest.files.map((f) => f.path);
    const label = isoLabel(manifest.source.volumeLabel);
    const notes: string[] = [];
    let ca = await mediaCa(workspace.mediaDir, mediaFiles);
    const has = (p: string) => mediaFiles.some((f) => f.toLowerCase() === p.toLowerCase());
    const replacements = new Map<string, string>();
    const bootWim = workspace.media('sources/boot.wim');

    if (o.bootManager === '2023') {
      const dir = await workspace.tempPath('iso-2023');
      cleanup.push(dir);
      const reader = wimReader(o.wimlib, workspace.logsDir);
      const staged = await stageBootFiles(
        reader,
        bootWim,
        { action: 'copy-from-boot', index: 1, files: [], bootManager2023: true },
        { mediaDir: workspace.mediaDir, mediaFiles, tempDir: dir },
      );
      for (const [dest, file] of staged.staged) replacements.set(dest, file);
      if (!has(SETUP_BOOT_STL.to)) {
        const stl = await stageBootFiles(
          reader,
          bootWim,
          { action: 'copy-from-boot', index: 2, files: [{ from: SETUP_BOOT_STL.from, to: [SETUP_BOOT_STL.to] }] },
          { mediaDir: workspace.mediaDir, mediaFiles, tempDir: `${dir}-stl` },
        );
        cleanup.push(`${dir}-stl`);
        for (const [dest, file] of stl.staged) replacements.set(dest, file);
      }
      notes.push(...staged.notes);
      ca = 'uefi-ca-2023';
    }
    // The UEFI El Torito image follows the boot manager: 2023 media boot from efisys_EX.bin (Make2023BootableMedia.ps1).
    let efiImage = UEFI_BOOT_IMAGE;
    if (ca === 'uefi-ca-2023') {
      if (replacements.has(UEFI_BOOT_IMAGE_2023) || has(UEFI_BOOT_IMAGE_2023)) efiImage = UEFI_BOOT_IMAGE_2023;
      else
        notes.push(`the media boot with the Windows UEFI CA 2023 boot manager but carry no ${UEFI_BOOT_IMAGE_2023}: the UEFI boot image is ${UEFI_BOOT_IMAGE}`);
    }

    const split = o.splitSwmMiB !== undefined && has('sources/install.wim');
    let root = workspace.mediaDir;
    if (replacements.size > 0 || split) {
      root = await workspace.tempPath('iso-tree');
      cleanup.push(root);
      await linkTree(workspace.mediaDir, root);
      for (const [dest, file] of replacements) await replaceStaged(root, dest, file);
      if (split) {
        await rm(path.join(root, 'sources', 'install.wim'), { force: true });
        info(`splitting sources/install.wim into install.swm parts of ${o.splitSwmMiB} MiB for the ISO`);
        await runTool(
          {
            tool: 'wimlib-imagex',
            file: wimlibPath(),
            args: ['split', workspace.media('sources/install.wim'), path.join(root, 'sources', 'install.swm'), String(o.splitSwmMiB)],
          },
          { logDir: workspace.logsDir },
        );
        notes.push(`sources/install.wim is split into install.swm parts of ${o.splitSwmMiB} MiB (Windows Setup reads install.swm)`);
      }
    }
    await checkBootImages(root, efiImage);

    const largeFiles = manifest.files
      .filter((f) => f.size >= FOUR_GIB && !(split && f.path === 'sources/install.wim'))
      .map((f) => ({
        path: f.path,
        size: f.size,
        stored: tool.name === 'oscdimg' ? 'UDF 1.02 (oscdimg -u2)' : 'ISO 9660 level 3 multi-extent, in the Joliet tree too',
      }));
    for (const file of largeFiles) info(`${file.path} is ${(file.size / 1024 ** 3).toFixed(2)} GiB: stored as ${file.stored}`);

    info(`writing ${output} with ${tool.name} (label ${label}; UEFI boot image ${efiImage})`);
    await writeIso(tool, { root, output: partial, label, efiImage }, workspace.logsDir);
    faultPoint('iso-written');
    await publishIso(partial, output);
    const size = (await stat(output)).size;
    const bootManager = ca ? describeCa({ ca, issuer: undefined }) : 'none';
    return { output, tool: tool.name, label, efiImage, bootManager, bootManagerCa: ca, size, largeFiles, notes };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
    await release();
  }
}
