// The boot files on the media, refreshed from the serviced boot.wim. Two sets, from two sources:
//
// 1. From boot.wim index 2 (Windows Setup), after every servicing of boot.wim or a Setup DU, as
//    Microsoft's sample does ("Update Windows installation media with Dynamic Update",
//    media-dynamic-update.md, section "Update remaining media files": setup.exe and setuphost.exe
//    "from boot.wim, saved earlier", then every b*.efi on the media named bootmgfw/bootx64/bootia32/
//    bootaa64.efi gets Windows\Boot\EFI\bootmgfw.efi and bootmgr.efi gets bootmgr.efi), plus
//    Windows\Boot\EFI\boot.stl → efi\microsoft\boot\boot.stl (issue 15.9; W10UI-style media
//    builders copy it from the mounted boot.wim the same way, and v1.4 of Make2023BootableMedia.ps1
//    adds it best-effort; we read v1.3, which does not). We add boot.stl only where the media has none.
//    W10UI's UpdtBootFiles option (W10UI.cmd) refreshes efisys.bin/efisys_noprompt.bin from
//    Windows\Boot\DVD\EFI\en-US and bootmgr/memtest from the same mounted image; osmedia leaves
//    those alone by default, as Microsoft's sample does.
// 2. The "Windows UEFI CA 2023" boot manager, on request, from boot.wim index 1, as
//    Make2023BootableMedia.ps1 (microsoft/secureboot_objects, scripts/windows/, v1.3 2025-11-07,
//    function Copy-2023BootBins) does: Windows\Boot\EFI_EX\bootmgfw_EX.efi → efi\boot\bootx64.efi
//    (bootaa64.efi on ARM64 media); bootmgr_EX.efi → bootmgr.efi "but only if it exists";
//    Windows\Boot\DVD_EX\EFI\en-US\efisys_EX.bin → efi\microsoft\boot\efisys_ex.bin (the UEFI El
//    Torito image its oscdimg call then uses); Windows\Boot\FONTS_EX\*_EX.ttf →
//    efi\microsoft\boot\fonts\*.ttf ("-replace '_EX', ''"). When EFI_EX, FONTS_EX or DVD_EX is
//    missing the script stops: "Make sure all required updates (2024-4B or later) have been
//    applied". W10UI-style builders also take efisys_noprompt_EX.bin (to efi\microsoft\boot\
//    efisys_noprompt_EX.bin here).
//
// Never downgrade (issue 20): when the media's efi/boot/bootx64.efi is signed under Windows UEFI
// CA 2023, set 1 leaves the boot managers alone (the 2011-signed bootmgfw.efi of index 2 would
// undo the switch and stop the media on every device that revoked PCA 2011, KB5025885).
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from '../../util/errors.ts';
import { bootSignature, describeCa, type BootCa } from './authenticode.ts';
import { readBootManager } from './record.ts';

/** A file from boot.wim and where it goes on the media. */
export interface BootFileCopy {
  from: string;
  to: string[];
}

/** How the plan asks for boot files: which image, which files, and what the media keeps. */
export interface BootFilesOperation {
  action: 'copy-from-boot';
  /** boot.wim image: 2 (Windows Setup, the default) or 1 (Windows PE, the 2023 boot files). */
  index?: number;
  files: BootFileCopy[];
  /** Set when the media's boot manager is signed under Windows UEFI CA 2023 and stays. */
  keep2023?: boolean;
  /** The 2023 boot manager from index 1 (files are listed at run time: the fonts are whatever FONTS_EX holds). */
  bootManager2023?: boolean;
}

/** The media's boot manager: the firmware's fallback loader, which every UEFI boot of the media starts. */
export const MEDIA_BOOT_MANAGER = 'efi/boot/bootx64.efi';

/** Files named like the boot managers, as Microsoft's sample matches them (any folder, any case). */
const SETUP_BOOT_MANAGERS: { from: string; names: RegExp }[] = [
  { from: 'Windows/Boot/EFI/bootmgfw.efi', names: /^(bootmgfw|bootx64|bootia32|bootaa64)\.efi$/i },
  { from: 'Windows/Boot/EFI/bootmgr.efi', names: /^bootmgr\.efi$/i },
];
export const SETUP_BOOT_STL = { from: 'Windows/Boot/EFI/boot.stl', to: 'efi/microsoft/boot/boot.stl' };

/** The 2023 boot files in boot.wim index 1 (Make2023BootableMedia.ps1) and the folders they need. */
export const EX_FOLDERS = ['Windows/Boot/EFI_EX', 'Windows/Boot/FONTS_EX', 'Windows/Boot/DVD_EX'];
export const EX_BOOT_MANAGER = 'Windows/Boot/EFI_EX/bootmgfw_EX.efi';
export const EX_BOOTMGR = 'Windows/Boot/EFI_EX/bootmgr_EX.efi';
export const EX_EFISYS = 'Windows/Boot/DVD_EX/EFI/en-US/efisys_EX.bin';
export const EX_EFISYS_NOPROMPT = 'Windows/Boot/DVD_EX/EFI/en-US/efisys_noprompt_EX.bin';
/** Where the 2023 El Torito images go on the media (the ISO boots from the first). */
export const MEDIA_EFISYS_2023 = 'efi/microsoft/boot/efisys_EX.bin';
export const MEDIA_EFISYS_NOPROMPT_2023 = 'efi/microsoft/boot/efisys_noprompt_EX.bin';
export const MEDIA_EFISYS = 'efi/microsoft/boot/efisys.bin';

/** The files from boot.wim index 2 onto this media (setup.exe first: the caller verifies it). */
export function setupBootFiles(mediaFiles: readonly string[], options: { setuphost: boolean; keep2023: boolean }): BootFileCopy[] {
  const files: BootFileCopy[] = [{ from: 'sources/setup.exe', to: ['sources/setup.exe'] }];
  if (options.setuphost) files.push({ from: 'sources/setuphost.exe', to: ['sources/setuphost.exe'] });
  if (!options.keep2023) {
    for (const manager of SETUP_BOOT_MANAGERS) {
      const to = mediaFiles.filter((p) => manager.names.test(p.split('/').at(-1)!));
      if (to.length > 0) files.push({ from: manager.from, to });
    }
  }
  if (!mediaFiles.some((p) => p.toLowerCase() === SETUP_BOOT_STL.to)) files.push({ from: SETUP_BOOT_STL.from, to: [SETUP_BOOT_STL.to] });
  return files;
}

/** The plan's boot-files operation, and the note the plan and summary show when 2023 files stay. */
export function planBootFiles(
  mediaFiles: readonly string[],
  options: { setuphost: boolean; mediaCa?: BootCa; bootManager?: '2023' | 'keep' },
): { operations: BootFilesOperation[]; notes: string[] } {
  const keep2023 = options.mediaCa === 'uefi-ca-2023';
  const operations: BootFilesOperation[] = [
    { action: 'copy-from-boot', files: setupBootFiles(mediaFiles, { setuphost: options.setuphost, keep2023 }), keep2023 },
  ];
  const notes: string[] = [];
  if (options.bootManager === '2023') {
    operations.push({ action: 'copy-from-boot', index: 1, files: [], bootManager2023: true });
  } else if (keep2023) {
    notes.push(
      `kept the Windows UEFI CA 2023 boot manager: ${MEDIA_BOOT_MANAGER}, bootmgr.efi, the fonts and efisys stay as they are (never downgraded to boot.wim's 2011-signed ones)`,
    );
  }
  return { operations, notes };
}

export function describeBootFiles(op: BootFilesOperation): string {
  if (op.bootManager2023)
    return `switch to the Windows UEFI CA 2023 boot manager from boot.wim index 1 (${EX_BOOT_MANAGER} → ${MEDIA_BOOT_MANAGER}, bootmgr_EX.efi → bootmgr.efi, FONTS_EX → efi/microsoft/boot/fonts, efisys_EX.bin)`;
  return `copy from boot.wim index ${op.index ?? 2}: ${op.files.map((f) => `${f.from} → ${f.to.join(', ')}`).join('; ')}${op.keep2023 ? ' (2023 boot manager kept)' : ''}`;
}

/** What the boot-file work needs from a WIM engine (wimlib or DISM). */
export interface BootWimFiles {
  /** 'dism' copies only the files it finds (one read-only mount); wimlib fails on a missing one, so it lists first. */
  readonly name?: string;
  /** Every file path ('/'-separated, no leading slash) of one image under a folder, recursively. */
  list(wim: string, index: number, under: string): Promise<string[]>;
  /** Copies files of one image (any case) into destDir, flat. */
  extractFiles(wim: string, index: number, paths: readonly string[], destDir: string): Promise<void>;
}

const lower = (p: string) => p.toLowerCase();

async function extracted(dir: string): Promise<Map<string, string>> {
  return new Map((await readdir(dir)).map((name) => [name.toLowerCase(), path.join(dir, name)]));
}

/**
 * Stages the files of one boot-files operation: media path → extracted file. Stops with an error
 * that names the missing file and the image before anything reaches the media. `mediaDir` is read
 * for the never-downgrade check (the signer of the media's boot manager and of its replacement).
 */
export async function stageBootFiles(
  reader: BootWimFiles,
  bootWim: string,
  op: BootFilesOperation,
  context: { mediaDir: string; mediaFiles: readonly string[]; tempDir: string },
): Promise<{ staged: Map<string, string>; notes: string[] }> {
  await mkdir(context.tempDir, { recursive: true });
  if (op.bootManager2023) return stage2023(reader, bootWim, context);
  const index = op.index ?? 2;
  // boot.stl is optional (older media have none in boot.wim); every other file must be there.
  const present = reader.name === 'dism' ? undefined : new Set((await reader.list(bootWim, index, '')).map(lower));
  const wanted = op.files.filter((f) => f.from !== SETUP_BOOT_STL.from || !present || present.has(lower(f.from)));
  if (present) {
    await reader.extractFiles(
      bootWim,
      index,
      wanted.filter((f) => present.has(lower(f.from))).map((f) => f.from),
      context.tempDir,
    );
  } else {
    await reader.extractFiles(
      bootWim,
      index,
      wanted.map((f) => f.from),
      context.tempDir,
    );
  }
  const found = await extracted(context.tempDir);
  const missing = wanted.filter((f) => f.from !== SETUP_BOOT_STL.from && !found.has(f.from.split('/').at(-1)!.toLowerCase()));
  if (missing.length > 0) {
    throw new MediaError(`boot.wim index ${index} (${path.basename(bootWim)}) has no ${missing.map((f) => f.from).join(', ')}`, {
      fix: `Windows Setup media carry ${missing.map((f) => f.from.split('/').at(-1)).join(', ')} in boot.wim index ${index}; this boot.wim is not Setup media, or was damaged. Re-import the media. Nothing was changed.`,
    });
  }
  const files = await extracted(context.tempDir);
  const staged = new Map<string, string>();
  const notes: string[] = [];
  // Never downgrade: a 2023-signed boot manager on the media stays unless its replacement is 2023-signed too.
  // bootmgr.efi goes with it: Make2023BootableMedia.ps1 replaces the two together.
  const current = await mediaCa(context.mediaDir, context.mediaFiles);
  const manager = wanted.find((f) => f.from === SETUP_BOOT_MANAGERS[0]!.from);
  let keep = false;
  if (manager && current === 'uefi-ca-2023') {
    const replacement = await bootSignature(files.get('bootmgfw.efi')!).catch(() => undefined);
    keep = replacement?.ca !== 'uefi-ca-2023';
    if (keep)
      notes.push(
        `kept the Windows UEFI CA 2023 boot manager: boot.wim index ${index}'s bootmgfw.efi is ${replacement ? describeCa(replacement) : 'not a signed PE'}, so ${MEDIA_BOOT_MANAGER} and bootmgr.efi stay`,
      );
  }
  for (const { from, to } of wanted) {
    if (keep && SETUP_BOOT_MANAGERS.some((m) => m.from === from)) continue;
    const file = files.get(from.split('/').at(-1)!.toLowerCase());
    if (!file) continue; // boot.stl, when boot.wim has none
    for (const dest of to) staged.set(dest, file);
  }
  return { staged, notes };
}

/** The signer CA of the media's boot manager (efi/boot/bootx64.efi, or the ARM64/IA32 one). */
export async function mediaCa(mediaDir: string, mediaFiles: readonly string[]): Promise<BootCa | undefined> {
  // The same reading the manifest and the build file record (record.ts), so the rule and the record agree.
  return (await readBootManager(mediaDir, mediaFiles))?.ca;
}

/** The 2023 boot files from boot.wim index 1 (Make2023BootableMedia.ps1, Copy-2023BootBins). */
async function stage2023(
  reader: BootWimFiles,
  bootWim: string,
  context: { mediaFiles: readonly string[]; tempDir: string },
): Promise<{ staged: Map<string, string>; notes: string[] }> {
  const listing = await reader.list(bootWim, 1, 'Windows/Boot');
  const has = (folder: string) => listing.some((p) => lower(p).startsWith(`${lower(folder)}/`));
  const missingFolders = EX_FOLDERS.filter((f) => !has(f));
  const present = new Set(listing.map(lower));
  const missingFiles = [EX_BOOT_MANAGER, EX_EFISYS].filter((f) => !present.has(lower(f)));
  if (missingFolders.length > 0 || missingFiles.length > 0) {
    const what = missingFolders.length > 0 ? missingFolders.join(', ') : missingFiles.join(', ');
    throw new MediaError(`boot.wim index 1 (${path.basename(bootWim)}) has no ${what}: the Windows UEFI CA 2023 boot files are not there`, {
      fix: 'They come with the April 2024 cumulative update (2024-04B) or later: apply a current LCU to boot.wim first (apply-updates), as Make2023BootableMedia.ps1 requires. Nothing was changed.',
    });
  }
  const fonts = listing.filter((p) => lower(p).startsWith('windows/boot/fonts_ex/') && /_ex\.ttf$/i.test(p));
  const wanted = [EX_BOOT_MANAGER, EX_EFISYS, ...fonts];
  if (present.has(lower(EX_BOOTMGR))) wanted.push(EX_BOOTMGR);
  if (present.has(lower(EX_EFISYS_NOPROMPT))) wanted.push(EX_EFISYS_NOPROMPT);
  await reader.extractFiles(bootWim, 1, wanted, context.tempDir);
  const files = await extracted(context.tempDir);
  const file = (p: string) => files.get(p.split('/').at(-1)!.toLowerCase())!;
  const existing = new Map(context.mediaFiles.map((p) => [lower(p), p]));
  const staged = new Map<string, string>();
  // ARM64 media boot from bootaa64.efi (v1.3: "Special case the architecture specific binary name").
  const manager = existing.get('efi/boot/bootaa64.efi') ?? MEDIA_BOOT_MANAGER;
  staged.set(manager, file(EX_BOOT_MANAGER));
  if (wanted.includes(EX_BOOTMGR)) staged.set('bootmgr.efi', file(EX_BOOTMGR));
  staged.set(MEDIA_EFISYS_2023, file(EX_EFISYS));
  if (wanted.includes(EX_EFISYS_NOPROMPT)) staged.set(MEDIA_EFISYS_NOPROMPT_2023, file(EX_EFISYS_NOPROMPT));
  for (const font of fonts)
    staged.set(
      `efi/microsoft/boot/fonts/${font
        .split('/')
        .at(-1)!
        .replace(/_EX(\.ttf)$/i, '$1')}`,
      file(font),
    );
  return { staged, notes: [`switched to the Windows UEFI CA 2023 boot manager (${fonts.length} font(s), efisys_EX.bin as the UEFI boot image)`] };
}
