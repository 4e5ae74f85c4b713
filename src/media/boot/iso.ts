// A bootable ISO of the workspace media, laid out as Microsoft's: El Torito entry 1 for BIOS
// (boot/etfsboot.com, no emulation, 8 sectors), entry 2 for UEFI (platform 0xEF, the FAT image
// efi/microsoft/boot/efisys.bin, or efisys_EX.bin for the Windows UEFI CA 2023 boot manager), and
// the volume label of the imported media.
//
// On Windows: oscdimg from the ADK, called as Make2023BootableMedia.ps1 (Create-ISOMedia) calls it:
//   -l<label> -bootdata:2#p0,e,b<media>\boot\etfsboot.com#pEF,e,b<media>\efi\microsoft\boot\efisys.bin -u2 -udfver102 -o <media> <iso>
// found where that script looks (Validate-Requirements: "%ProgramFiles(x86)%\Windows Kits\10\
// Assessment and Deployment Kit\Deployment Tools\amd64\Oscdimg\oscdimg.exe", then PATH), or at
// OSMEDIA_OSCDIMG. -u2 writes UDF only ("Oscdimg Command-Line Options": "Produces an image that
// contains only the UDF file system"), UDF 1.02 (-udfver102): what Windows reads on every ISO
// Microsoft ships, install.wim over 4 GiB included.
//
// Elsewhere: xorriso (Debian's package). It writes no UDF, so the ISO carries ISO 9660 level 3 and
// Joliet (-J -joliet-long: long Unicode names, which Windows reads). A file of 4 GiB or more is
// stored as several extents (ECMA-119 6.5.1 "each file shall consist of one or more File
// Sections", allowed at Level 3, 10.3); libisofs' "ISO-9660 Level 3 Cookbook" (Multi-Extent.txt)
// records that Windows reads such files ("Microsoft Windows XP supports this"), Mac OS X does not.
// Where that is not enough (a FAT32 USB stick, an old reader), splitSwmMiB writes install.swm parts
// instead, as Make2023BootableMedia.ps1 does for FAT32 (Split-WindowsImage -FileSize 4000).
//
// The ISO is written beside the output and renamed into place: a killed run leaves no partial ISO
// at the output path. The workspace media are read, never changed: replaced files go into a
// staging tree of hard links.
import { copyFile, link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MediaError, UsageError } from '../../util/errors.ts';
import { runTool } from '../../util/exec.ts';
import { exists } from '../../util/fs.ts';

export const BIOS_BOOT_IMAGE = 'boot/etfsboot.com';
export const UEFI_BOOT_IMAGE = 'efi/microsoft/boot/efisys.bin';
export const UEFI_BOOT_IMAGE_2023 = 'efi/microsoft/boot/efisys_EX.bin';
/** The ISO 9660 volume identifier holds 32 characters (d-characters). */
const LABEL_MAX = 32;
/** Files this large need ISO 9660 Level 3 multi-extent (or UDF). */
export const FOUR_GIB = 4 * 1024 ** 3;

export type IsoToolName = 'oscdimg' | 'xorriso';

export interface IsoLayout {
  /** The tree to write (media/ or a staging tree). */
  root: string;
  /** ISO file to write (the partial path; the caller renames it). */
  output: string;
  label: string;
  /** UEFI El Torito image, relative to root. */
  efiImage: string;
}

/** oscdimg's argv, exactly as Make2023BootableMedia.ps1 builds it (Windows paths). */
export function oscdimgArgs(layout: IsoLayout): string[] {
  const win = (relative: string) => path.win32.join(layout.root, ...relative.split('/'));
  return [
    `-l${layout.label}`,
    `-bootdata:2#p0,e,b${win(BIOS_BOOT_IMAGE)}#pEF,e,b${win(layout.efiImage)}`,
    '-u2',
    '-udfver102',
    '-o',
    layout.root,
    layout.output,
  ];
}

/** xorriso's argv (mkisofs emulation): the same two El Torito entries, ISO 9660 level 3 + Joliet. */
export function xorrisoArgs(layout: IsoLayout): string[] {
  return [
    '-as',
    'mkisofs',
    '-iso-level',
    '3',
    '-J',
    '-joliet-long',
    '-V',
    layout.label,
    '-b',
    BIOS_BOOT_IMAGE,
    '-no-emul-boot',
    '-boot-load-size',
    '8',
    '-eltorito-alt-boot',
    '-e',
    layout.efiImage,
    '-no-emul-boot',
    '-c',
    'boot/boot.catalog',
    '--boot-catalog-hide',
    '-o',
    layout.output,
    layout.root,
  ];
}

/** Where oscdimg is: OSMEDIA_OSCDIMG, the ADK's folder (as Make2023BootableMedia.ps1 looks), or PATH. */
export async function findOscdimg(env: NodeJS.ProcessEnv = process.env, present: (file: string) => Promise<boolean> = exists): Promise<string> {
  if (env.OSMEDIA_OSCDIMG) return env.OSMEDIA_OSCDIMG;
  const programFiles = env['ProgramFiles(x86)'];
  if (programFiles) {
    const adk = path.win32.join(programFiles, 'Windows Kits', '10', 'Assessment and Deployment Kit', 'Deployment Tools', 'amd64', 'Oscdimg', 'oscdimg.exe');
    if (await present(adk)) return adk;
  }
  return 'oscdimg.exe';
}

/** The ISO writer: OSMEDIA_ISO_TOOL forces it; otherwise oscdimg on Windows, xorriso elsewhere. */
export async function chooseIsoTool(env: NodeJS.ProcessEnv = process.env, platform = process.platform): Promise<{ name: IsoToolName; file: string }> {
  const forced = env.OSMEDIA_ISO_TOOL;
  if (forced && forced !== 'oscdimg' && forced !== 'xorriso')
    throw new UsageError(`OSMEDIA_ISO_TOOL is "${forced}"`, { fix: 'Set it to oscdimg or xorriso, or unset it.' });
  const name: IsoToolName = (forced as IsoToolName | undefined) ?? (platform === 'win32' ? 'oscdimg' : 'xorriso');
  return { name, file: name === 'oscdimg' ? await findOscdimg(env) : env.OSMEDIA_XORRISO || 'xorriso' };
}

/**
 * The imported media's volume label, kept as it is (Microsoft's read like "CCCOMA_X64FRE_EN-US_DV9",
 * and Make2023BootableMedia.ps1 passes the mounted ISO's label to oscdimg -l unchanged); at most 32
 * characters, the size of the ISO 9660 volume identifier.
 */
export function isoLabel(label: string | undefined): string {
  const clean = (label ?? '')
    .replace(/[\x00-\x1f"]/g, '')
    .trim()
    .slice(0, LABEL_MAX);
  return clean || 'OSMEDIA';
}

/** A tree of hard links to `source` (copies where links fail), so files can be replaced without touching source. */
export async function linkTree(source: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) await linkTree(from, to);
    else await link(from, to).catch(() => copyFile(from, to));
  }
}

/** Stops before writing when an El Torito image is missing, naming it. */
export async function checkBootImages(root: string, efiImage: string): Promise<void> {
  for (const [image, what] of [
    [BIOS_BOOT_IMAGE, 'the BIOS boot image (El Torito entry 1)'],
    [efiImage, 'the UEFI boot image (El Torito entry 2)'],
  ] as const) {
    const info = await stat(path.join(root, ...image.split('/'))).catch(() => undefined);
    if (!info?.isFile())
      throw new MediaError(`The media have no ${image}: ${what} of a bootable ISO`, {
        fix: `Windows installation media carry ${image}; re-import the media from Microsoft's ISO${image === UEFI_BOOT_IMAGE_2023 ? ', or build with --boot-manager 2023 so osmedia puts efisys_EX.bin there' : ''}. No ISO was written.`,
      });
  }
}

/** Writes the ISO into `partial` with the chosen tool (the caller renames it into place). */
export async function writeIso(tool: { name: IsoToolName; file: string }, layout: IsoLayout, logDir?: string): Promise<void> {
  await rm(layout.output, { force: true }); // a partial file of a killed run
  const args = tool.name === 'oscdimg' ? oscdimgArgs(layout) : xorrisoArgs(layout);
  await runTool({ tool: tool.name, file: tool.file, args }, { logDir });
  if (!(await exists(layout.output))) throw new MediaError(`${tool.name} wrote no ISO at ${layout.output}`, { fix: `See ${tool.name}'s log in ${logDir}.` });
}

/** Renames the finished ISO into place (same folder, so the rename is atomic). */
export async function publishIso(partial: string, output: string): Promise<void> {
  await rename(partial, output);
}
