// Builds small but real Windows-shaped installation media with real tools: WIMs captured by
// wimlib with Windows image XML, a bootable boot.wim, WinRE inside each OS image, setup files,
// autorun.inf, and a UDF ISO made by genisoimage. Used by the demo, the tests and the benchmarks.
// The payload files are placeholders (no Microsoft binaries); the containers and metadata are real.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { runTool } from '../util/exec.ts';
import { wimlibPath } from '../imaging/wimlib.ts';
import { minimalEfi } from './pe.ts';

export interface SampleEdition {
  name: string;
  editionId: string;
}

/** Windows 11 24H2 business editions, as Microsoft's ISO names them. */
export const SAMPLE_EDITIONS: SampleEdition[] = [
  { name: 'Windows 11 Education', editionId: 'Education' },
  { name: 'Windows 11 Enterprise', editionId: 'Enterprise' },
  { name: 'Windows 11 Pro', editionId: 'Professional' },
  { name: 'Windows 11 Pro Education', editionId: 'ProfessionalEducation' },
  { name: 'Windows 11 Pro for Workstations', editionId: 'ProfessionalWorkstation' },
];

export interface SampleOptions {
  /** Folder to build in; the media tree goes to `<dir>/media`, the ISO to `<dir>/<label>.iso`. */
  dir: string;
  editions?: SampleEdition[];
  /** Bytes of incompressible data unique to each edition (benchmarks use hundreds of MiB). */
  payloadBytes?: number;
  /** Bytes of data shared by every edition (deduplicated by the WIM format, as in real media). */
  sharedBytes?: number;
  installKind?: 'wim' | 'esd' | 'swm';
  /** For installKind swm: the part size in MiB. */
  splitMiB?: number;
  iso?: boolean;
  label?: string;
  build?: number;
  ubr?: number;
  language?: string;
  /** boot.wim index 1 carries the Windows UEFI CA 2023 boot files (EFI_EX, FONTS_EX, DVD_EX; default true). */
  exBootFiles?: boolean;
  /** boot.wim index 2 carries Windows/Boot/EFI/bootmgr.efi (default true). */
  setupBootManager?: boolean;
  /** Files to put in place of the sample's, keyed 'media:<path>', 'boot1:<path>' or 'boot2:<path>' (tests: signed boot managers). */
  files?: Record<string, Buffer | string>;
}

export interface SampleMedia {
  mediaDir: string;
  isoPath?: string;
  editions: SampleEdition[];
  version: string;
}

const wimlib = (args: string[]) => runTool({ tool: 'wimlib-imagex', file: wimlibPath(), args });

async function writeRandom(file: string, bytes: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const chunk = 1024 * 1024;
  for (let left = bytes; left > 0; left -= chunk) {
    if (!out.write(randomBytes(Math.min(chunk, left)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function put(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** Windows image XML as real media carries it, set through wimlib's --image-property. */
function imageProperties(props: {
  editionId: string;
  displayName: string;
  installationType: string;
  build: number;
  ubr: number;
  language: string;
  flags?: string;
}): string[] {
  const values: Record<string, string> = {
    DISPLAYNAME: props.displayName,
    DISPLAYDESCRIPTION: props.displayName,
    'WINDOWS/ARCH': '9',
    'WINDOWS/PRODUCTNAME': 'Microsoft® Windows® Operating System',
    'WINDOWS/EDITIONID': props.editionId,
    'WINDOWS/INSTALLATIONTYPE': props.installationType,
    'WINDOWS/PRODUCTTYPE': 'WinNT',
    'WINDOWS/PRODUCTSUITE': 'Terminal Server',
    'WINDOWS/LANGUAGES/LANGUAGE': props.language,
    'WINDOWS/LANGUAGES/DEFAULT': props.language,
    'WINDOWS/VERSION/MAJOR': '10',
    'WINDOWS/VERSION/MINOR': '0',
    'WINDOWS/VERSION/BUILD': String(props.build),
    'WINDOWS/VERSION/SPBUILD': String(props.ubr),
    'WINDOWS/VERSION/SPLEVEL': '0',
    'WINDOWS/SYSTEMROOT': 'WINDOWS',
  };
  if (props.flags) values['FLAGS'] = props.flags;
  return Object.entries(values).flatMap(([key, value]) => ['--image-property', `${key}=${value}`]);
}

async function setProperties(wim: string, index: number, props: Parameters<typeof imageProperties>[0]): Promise<void> {
  await wimlib(['info', wim, String(index), ...imageProperties(props)]);
}

/** 4 KiB like etfsboot.com: a boot sector signature at the end of the first 512 bytes. */
function etfsboot(): Buffer {
  const data = Buffer.alloc(4096);
  data.write('placeholder: CD-ROM boot sector (etfsboot.com)', 3, 'latin1');
  data.writeUInt16LE(0xaa55, 510);
  return data;
}

/** 1,474,560 bytes (a 1.44 MB floppy) with a FAT12 boot sector header, as efisys.bin is. */
function floppyImage(label: string): Buffer {
  const data = Buffer.alloc(1_474_560);
  data.set([0xeb, 0x3c, 0x90], 0);
  data.write('MSDOS5.0', 3, 'latin1');
  data.writeUInt16LE(512, 11);
  data.write(label.padEnd(11).slice(0, 11), 43, 'latin1');
  data.write('FAT12   ', 54, 'latin1');
  data.writeUInt16LE(0xaa55, 510);
  return data;
}

export async function buildSampleMedia(options: SampleOptions): Promise<SampleMedia> {
  const editions = options.editions ?? SAMPLE_EDITIONS.slice(0, 4);
  const build = options.build ?? 26100;
  const ubr = options.ubr ?? 1742;
  const language = options.language ?? 'en-US';
  const label = options.label ?? 'CCCOMA_X64FRE_EN-US_DV9';
  const work = path.join(options.dir, '.sample-build');
  const media = path.join(options.dir, 'media');
  await rm(work, { recursive: true, force: true });
  await rm(media, { recursive: true, force: true });
  await mkdir(path.join(media, 'sources'), { recursive: true });

  // WinRE: a one-image WindowsPE WIM placed inside every OS image, as on real media.
  const winreTree = path.join(work, 'winre');
  await put(path.join(winreTree, 'Windows', 'System32', 'winpeshl.ini'), '[LaunchApps]\r\nX:\\sources\\recovery\\recenv.exe\r\n');
  await put(path.join(winreTree, 'sources', 'recovery', 'recenv.exe'), 'placeholder: recovery environment\r\n');
  const winre = path.join(work, 'Winre.wim');
  await wimlib([
    'capture',
    winreTree,
    winre,
    'Microsoft Windows Recovery Environment (amd64)',
    'Microsoft Windows Recovery Environment (amd64)',
    '--compress=LZX',
  ]);
  await setProperties(winre, 1, {
    editionId: 'WindowsPE',
    displayName: 'Microsoft Windows Recovery Environment (amd64)',
    installationType: 'WindowsPE',
    build,
    ubr,
    language,
  });

  // boot.wim: index 1 Windows PE, index 2 Windows Setup (bootable), which carries setup.exe.
  // Boot managers are real (unsigned) PE files; the boot file layout is Microsoft's (docs/boot-media.md).
  const overrides = options.files ?? {};
  const bootFile = async (tree: string, key: string, relative: string, content: Buffer | string) =>
    put(path.join(tree, ...relative.split('/')), overrides[`${key}:${relative}`] ?? content);
  const peTree = path.join(work, 'pe');
  await put(path.join(peTree, 'Windows', 'System32', 'startnet.cmd'), 'wpeinit\r\n');
  await bootFile(peTree, 'boot1', 'Windows/Boot/EFI/bootmgfw.efi', minimalEfi(`bootmgfw.efi ${build}.${ubr}`));
  if (options.exBootFiles ?? true) {
    // What the 2024-04 and later cumulative updates add (Make2023BootableMedia.ps1 takes them from here).
    await bootFile(peTree, 'boot1', 'Windows/Boot/EFI_EX/bootmgfw_EX.efi', minimalEfi(`bootmgfw_EX.efi ${build}.${ubr}`));
    await bootFile(peTree, 'boot1', 'Windows/Boot/EFI_EX/bootmgr_EX.efi', minimalEfi(`bootmgr_EX.efi ${build}.${ubr}`));
    await bootFile(peTree, 'boot1', 'Windows/Boot/FONTS_EX/segmono_boot_EX.ttf', 'placeholder: font (2023)\r\n');
    await bootFile(peTree, 'boot1', 'Windows/Boot/FONTS_EX/wgl4_boot_EX.ttf', 'placeholder: font (2023)\r\n');
    await bootFile(peTree, 'boot1', 'Windows/Boot/DVD_EX/EFI/en-US/efisys_EX.bin', floppyImage('EFISYS2023'));
    await bootFile(peTree, 'boot1', 'Windows/Boot/DVD_EX/EFI/en-US/efisys_noprompt_EX.bin', floppyImage('EFISYS2023NP'));
  }
  const setupTree = path.join(work, 'setup');
  await put(path.join(setupTree, 'Windows', 'System32', 'startnet.cmd'), 'wpeinit\r\n');
  await put(path.join(setupTree, 'sources', 'setup.exe'), `placeholder: Windows Setup ${build}.${ubr}\r\n`);
  await put(path.join(setupTree, 'sources', 'setuphost.exe'), `placeholder: Windows Setup host ${build}.${ubr}\r\n`);
  // The serviced boot managers that Microsoft's media refresh copies onto the media.
  await bootFile(setupTree, 'boot2', 'Windows/Boot/EFI/bootmgfw.efi', minimalEfi(`bootmgfw.efi ${build}.${ubr}`));
  if (options.setupBootManager ?? true) await bootFile(setupTree, 'boot2', 'Windows/Boot/EFI/bootmgr.efi', minimalEfi(`bootmgr.efi ${build}.${ubr}`));
  await bootFile(setupTree, 'boot2', 'Windows/Boot/EFI/boot.stl', `placeholder: certificate trust list ${build}.${ubr}\r\n`);
  await bootFile(setupTree, 'boot2', 'Windows/Boot/DVD/EFI/en-US/efisys.bin', floppyImage('EFISYS'));
  const bootWim = path.join(media, 'sources', 'boot.wim');
  await wimlib(['capture', peTree, bootWim, 'Microsoft Windows PE (amd64)', 'Microsoft Windows PE (amd64)', '--compress=LZX']);
  await wimlib(['append', setupTree, bootWim, 'Microsoft Windows Setup (amd64)', 'Microsoft Windows Setup (amd64)', '--boot']);
  await setProperties(bootWim, 1, { editionId: 'WindowsPE', displayName: 'Microsoft Windows PE (amd64)', installationType: 'WindowsPE', build, ubr, language });
  await setProperties(bootWim, 2, {
    editionId: 'WindowsPE',
    displayName: 'Microsoft Windows Setup (amd64)',
    installationType: 'WindowsPE',
    build,
    ubr,
    language,
  });

  // install.wim: one image per edition; shared files deduplicate, each edition has its own payload.
  const installWim = path.join(work, 'install.wim');
  if (options.sharedBytes) await writeRandom(path.join(work, 'shared.bin'), options.sharedBytes);
  for (const [i, edition] of editions.entries()) {
    const tree = path.join(work, `os${i + 1}`);
    await put(path.join(tree, 'Windows', 'System32', 'Recovery', 'Winre.wim'), await readFile(winre));
    await put(path.join(tree, 'Windows', 'System32', 'config', 'README.txt'), `Sample ${edition.name} ${build}.${ubr}\r\n`);
    await put(path.join(tree, 'Windows', 'System32', 'spp', 'tokens', `${edition.editionId}.xrm-ms`), `license tokens for ${edition.editionId}\r\n`);
    if (options.payloadBytes) await writeRandom(path.join(tree, 'Windows', 'System32', 'payload.bin'), options.payloadBytes);
    if (options.sharedBytes) await copyFile(path.join(work, 'shared.bin'), path.join(tree, 'Windows', 'System32', 'shared.bin'));
    await wimlib([i === 0 ? 'capture' : 'append', tree, installWim, edition.name, edition.name, ...(i === 0 ? ['--compress=LZX'] : [])]);
    await setProperties(installWim, i + 1, {
      editionId: edition.editionId,
      displayName: edition.name,
      installationType: 'Client',
      build,
      ubr,
      language,
      flags: edition.editionId,
    });
    await rm(tree, { recursive: true, force: true });
  }
  const kind = options.installKind ?? 'wim';
  if (kind === 'wim') await rename(installWim, path.join(media, 'sources', 'install.wim'));
  if (kind === 'esd') await wimlib(['export', installWim, 'all', path.join(media, 'sources', 'install.esd'), '--solid', '--compress=LZMS']);
  if (kind === 'swm') await wimlib(['split', installWim, path.join(media, 'sources', 'install.swm'), String(options.splitMiB ?? 1)]);

  // The files around the images.
  await put(path.join(media, 'setup.exe'), `placeholder: Windows Setup launcher ${build}\r\n`);
  await put(path.join(media, 'sources', 'setup.exe'), `placeholder: Windows Setup ${build}.${ubr}\r\n`);
  await put(path.join(media, 'sources', 'setuphost.exe'), `placeholder: Windows Setup host ${build}.${ubr}\r\n`);
  await put(
    path.join(media, 'sources', 'lang.ini'),
    `[Available UI Languages]\r\n${language} = 3\r\n\r\n[Fallback Languages]\r\n${language} = ${language}\r\n`,
  );
  await put(path.join(media, 'autorun.inf'), '[AutoRun.Amd64]\r\nopen=setup.exe\r\nicon=setup.exe,0\r\n');
  await put(path.join(media, 'bootmgr'), 'placeholder: boot manager\r\n');
  const mediaFile = (relative: string, content: Buffer | string) => bootFile(media, 'media', relative, content);
  await mediaFile('bootmgr.efi', minimalEfi('bootmgr.efi (media)'));
  await put(path.join(media, 'boot', 'bcd'), 'placeholder: BCD store\r\n');
  await put(path.join(media, 'boot', 'boot.sdi'), 'placeholder: ramdisk SDI\r\n');
  // The BIOS El Torito image: loaded whole, 8 sectors of 512 bytes (oscdimg's -bootdata p0 entry).
  await mediaFile('boot/etfsboot.com', etfsboot());
  await put(path.join(media, 'boot', 'fonts', 'segmono_boot.ttf'), 'placeholder: font\r\n');
  await mediaFile('efi/boot/bootx64.efi', minimalEfi('bootx64.efi (media)'));
  await put(path.join(media, 'efi', 'microsoft', 'boot', 'bcd'), 'placeholder: UEFI BCD store\r\n');
  // The UEFI El Torito images: FAT floppy images holding EFI/BOOT/BOOTX64.EFI (here a formatted-looking placeholder).
  await mediaFile('efi/microsoft/boot/efisys.bin', floppyImage('EFISYS'));
  await mediaFile('efi/microsoft/boot/efisys_noprompt.bin', floppyImage('EFISYSNP'));
  await put(path.join(media, 'efi', 'microsoft', 'boot', 'fonts', 'segmono_boot.ttf'), 'placeholder: font\r\n');
  await put(path.join(media, 'efi', 'microsoft', 'boot', 'fonts', 'wgl4_boot.ttf'), 'placeholder: font\r\n');
  await rm(work, { recursive: true, force: true });

  let isoPath: string | undefined;
  if (options.iso ?? true) {
    isoPath = path.join(options.dir, `${label}.iso`);
    await runTool({
      tool: 'genisoimage',
      file: 'genisoimage',
      args: ['-quiet', '-udf', '-iso-level', '3', '-J', '-joliet-long', '-allow-limited-size', '-V', label, '-o', isoPath, media],
    });
  }
  return { mediaDir: media, isoPath, editions, version: `10.0.${build}.${ubr}` };
}
