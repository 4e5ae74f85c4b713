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
  const peTree = path.join(work, 'pe');
  await put(path.join(peTree, 'Windows', 'System32', 'startnet.cmd'), 'wpeinit\r\n');
  const setupTree = path.join(work, 'setup');
  await put(path.join(setupTree, 'Windows', 'System32', 'startnet.cmd'), 'wpeinit\r\n');
  await put(path.join(setupTree, 'sources', 'setup.exe'), `placeholder: Windows Setup ${build}.${ubr}\r\n`);
  await put(path.join(setupTree, 'sources', 'setuphost.exe'), `placeholder: Windows Setup host ${build}.${ubr}\r\n`);
  // The serviced boot managers that Microsoft's media refresh copies onto the media.
  await put(path.join(setupTree, 'Windows', 'Boot', 'EFI', 'bootmgfw.efi'), `placeholder: UEFI boot manager (firmware) ${build}.${ubr}\r\n`);
  await put(path.join(setupTree, 'Windows', 'Boot', 'EFI', 'bootmgr.efi'), `placeholder: UEFI boot manager ${build}.${ubr}\r\n`);
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
  await put(path.join(media, 'bootmgr.efi'), 'placeholder: UEFI boot manager\r\n');
  await put(path.join(media, 'boot', 'bcd'), 'placeholder: BCD store\r\n');
  await put(path.join(media, 'boot', 'boot.sdi'), 'placeholder: ramdisk SDI\r\n');
  await put(path.join(media, 'efi', 'boot', 'bootx64.efi'), 'placeholder: UEFI loader\r\n');
  await put(path.join(media, 'efi', 'microsoft', 'boot', 'bcd'), 'placeholder: UEFI BCD store\r\n');
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
