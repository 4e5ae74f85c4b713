// Reads what an update package file holds, on any OS, with 7-Zip: its top-level entries, every
// update.mum it carries wherever the package keeps it (in a CAB; in each CAB or WIM inside an MSU,
// the MSU itself being a CAB or, since 24H2, a WIM), the marker files classification looks for
// (component manifests, *.mum, HotpatchCompDB in the aggregated metadata), and for a Setup DU the
// file versions of its setup binaries. Listings are streamed and only marker names are kept, so
// memory stays flat whatever the package holds (W10UI does the same look-ups with expand -f:).
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveEntry, SevenZip } from '../imaging/sevenzip.ts';
import { MediaError } from '../util/errors.ts';
import { exists } from '../util/fs.ts';
import { checkEntries, checkRoom, entryNameProblem } from '../util/safe-extract.ts';
import { decodeMum, parseMum, type PackageManifest } from './mum.ts';
import { readPeVersion } from './pe-version.ts';

/** Limits for what reading a package writes: its manifest, and an MSU's inner packages (a 2025 LCU's WIM is a few GB). */
const MUM_CAP = 64 * 1024 * 1024;
const INNER_CAP = 32 * 1024 ** 3;

export interface FoundManifest {
  /** Where it was found: "update.mum", or "<inner file>/update.mum" inside an MSU. */
  entry: string;
  /** The inner file of an MSU that carries it (a CAB or WIM); absent for a CAB's own manifest. */
  container?: string;
  manifest: PackageManifest;
  /** Marker files beside it (lower-case base names): component manifests and *.mum that tell packages apart. */
  marks: string[];
}

export interface SetupBinary {
  name: string;
  /** File version from the PE version resource, e.g. 10.0.26100.2314. */
  version?: string;
  build?: number;
  /** The file's date in the CAB (ISO), which says which month's Setup DU it is. */
  modified?: string;
  error?: string;
}

export interface PackageContents {
  file: string;
  /** 7-Zip's type of the file (Cab for a .cab or a CAB .msu; wim for a WIM .msu). */
  type: string;
  layout: 'cab' | 'msu-cabs' | 'msu-wim' | 'unknown';
  /** Top-level entries and marker entries deeper down, '/'-separated (never the whole listing). */
  entries: string[];
  /** How many files the package lists in all. */
  entryCount: number;
  manifests: FoundManifest[];
  /** HotpatchCompDB*.cab found in the MSU's aggregated metadata (W10UI :msu1 refuses those). */
  hotpatch?: string;
  /** For a package without update.mum: the setup binaries and their file versions. */
  setupBinaries: SetupBinary[];
}

/** Inner CABs of an MSU that are not servicing packages (scan data, deployment helpers, metadata). */
const HELPER_CABS = /^(wsusscan|desktopdeployment(_x86)?|.*aggregatedmetadata.*)\.cab$/i;
const METADATA_CAB = /aggregatedmetadata.*\.cab$/i;

/** Windows Setup files a Setup Dynamic Update CAB carries (it has no update.mum). */
export const SETUP_FILES =
  /^(setuphost\.exe|setupprep\.exe|setupplatform\.(dll|exe)|setup\.exe|winsetup\.dll|appraiser(res)?\.dll|acres\.dll|compatprovider\.dll|sdbapiu\.dll)$/i;
/** The setup binaries whose file version names the Setup DU's build, most telling first. */
const VERSIONED_SETUP_FILES = ['setuphost.exe', 'setupprep.exe', 'setupplatform.dll', 'setupplatform.exe', 'winsetup.dll', 'setup.exe'];

/** Names worth keeping from a listing: package manifests, the component manifests W10UI :cab2 tests for, setup files. */
const MARKER =
  /(\.mum$|_microsoft-windows-(sysreset|winpe_tools|winre-tools|i\.\.dsetup-rejuvenation|servicingstack)_|_netfx4|hotpatchcompdb|enablement-package|defender.*\.xml$|\.psf$|\.psf\.cix\.xml$)/i;

interface Listing {
  type: string;
  entries: string[];
  /** The declared size of each kept entry (what checkRoom compares with the free space). */
  sizes: Map<string, number>;
  count: number;
}

async function listMarked(sevenZip: SevenZip, archive: string): Promise<Listing> {
  const entries: string[] = [];
  const sizes = new Map<string, number>();
  const unsafe: ArchiveEntry[] = [];
  let count = 0;
  const type = await sevenZip.listEach(archive, (e) => {
    // A hostile entry name or a link is refused at plan time, before any of it is written (issue 16.10).
    if (e.link !== undefined || entryNameProblem(e.raw ?? e.path)) unsafe.push(e);
    if (e.folder) return;
    count++;
    const base = path.posix.basename(e.path);
    // A multi-image WIM lists its images as folders "1/", "2/"; update packages hold one image.
    const topLevel = !e.path.replace(/^\d+\//, '').includes('/');
    if (topLevel || MARKER.test(base) || SETUP_FILES.test(base)) {
      entries.push(e.path);
      sizes.set(e.path, e.size);
    }
  });
  checkEntries(archive, unsafe);
  return { type, entries, sizes, count };
}

function marksOf(entries: readonly string[]): string[] {
  return [...new Set(entries.map((e) => path.posix.basename(e).toLowerCase()).filter((b) => MARKER.test(b) && b !== 'update.mum'))];
}

async function manifestIn(sevenZip: SevenZip, archive: string, listing: Listing, work: string): Promise<PackageManifest | undefined> {
  const entry = listing.entries.find((e) => /^(\d+\/)?update\.mum$/i.test(e));
  if (!entry) return undefined;
  await checkRoom(archive, listing.sizes.get(entry) ?? 0, path.join(work, 'x'), MUM_CAP); // an update.mum is kilobytes
  await mkdir(work, { recursive: true });
  await sevenZip.extract(archive, work, { paths: [entry] });
  const file = path.join(work, ...entry.split('/'));
  try {
    return parseMum(decodeMum(await readFile(file)));
  } catch (error) {
    throw new MediaError(`${path.basename(archive)}: its ${entry} cannot be read (${(error as Error).message})`, {
      fix: 'The package is damaged: download it again from the Microsoft Update Catalog.',
      cause: error,
    });
  }
}

/** The file versions of the setup binaries of a Setup DU (extracted alone: a few MB, whatever the CAB holds). */
async function setupBinaries(sevenZip: SevenZip, file: string, listing: Listing, work: string): Promise<SetupBinary[]> {
  const wanted = VERSIONED_SETUP_FILES.flatMap((name) => listing.entries.filter((e) => e.toLowerCase() === name));
  if (wanted.length === 0) return [];
  const dir = path.join(work, 'setup');
  // Declared sizes first, as for every other expansion (issue 16.6): setup binaries are megabytes.
  await checkRoom(
    file,
    wanted.reduce((sum, e) => sum + (listing.sizes.get(e) ?? 0), 0),
    dir,
    MUM_CAP,
  );
  await sevenZip.extract(file, dir, { paths: wanted });
  const found: SetupBinary[] = [];
  for (const name of wanted) {
    const extracted = path.join(dir, name);
    if (!(await exists(extracted))) continue;
    const modified = (await stat(extracted)).mtime.toISOString();
    try {
      const { version, build } = readPeVersion(await readFile(extracted));
      found.push({ name, version, build, modified });
    } catch (error) {
      found.push({ name, modified, error: (error as Error).message });
    }
  }
  return found;
}

/** Lists a package and reads its manifests; temporary files go to `work` and are removed. */
export async function readPackage(sevenZip: SevenZip, file: string, work: string): Promise<PackageContents> {
  await rm(work, { recursive: true, force: true });
  try {
    const listing = await listMarked(sevenZip, file);
    const base = { file, type: listing.type, entries: listing.entries, entryCount: listing.count };
    const own = await manifestIn(sevenZip, file, listing, path.join(work, 'own'));
    if (own) {
      const manifests = [{ entry: 'update.mum', manifest: own, marks: marksOf(listing.entries) }];
      return { ...base, layout: 'cab', manifests, setupBinaries: [] };
    }
    // An MSU: read the manifest of each inner package (CABs and WIMs at the top level), and the aggregated metadata.
    const top = listing.entries.filter((e) => !e.replace(/^\d+\//, '').includes('/'));
    const inner = top.filter((e) => /\.(cab|wim)$/i.test(e) && !HELPER_CABS.test(path.posix.basename(e)));
    const metadata = top.filter((e) => METADATA_CAB.test(path.posix.basename(e)));
    const manifests: FoundManifest[] = [];
    let hotpatch: string | undefined;
    if (inner.length + metadata.length > 0) {
      const innerDir = path.join(work, 'inner');
      // The inner files are written before they are read: a bomb inside an MSU must not fill the disk (issue 16.6).
      const innerBytes = [...inner, ...metadata].reduce((sum, e) => sum + (listing.sizes.get(e) ?? 0), 0);
      await checkRoom(file, innerBytes, innerDir, INNER_CAP);
      await sevenZip.extract(file, innerDir, { paths: [...inner, ...metadata] });
      for (const [i, name] of inner.entries()) {
        const innerFile = path.join(innerDir, ...name.split('/'));
        if (!(await exists(innerFile))) continue;
        const innerListing = await listMarked(sevenZip, innerFile);
        const manifest = await manifestIn(sevenZip, innerFile, innerListing, path.join(work, `m${i}`));
        const container = path.posix.basename(name);
        if (manifest) manifests.push({ entry: `${container}/update.mum`, container, manifest, marks: marksOf(innerListing.entries) });
      }
      for (const name of metadata) {
        const metadataFile = path.join(innerDir, ...name.split('/'));
        if (!(await exists(metadataFile))) continue;
        const found = (await listMarked(sevenZip, metadataFile)).entries.find((e) => /^hotpatchcompdb.*\.cab$/i.test(path.posix.basename(e)));
        if (found) hotpatch = `${path.posix.basename(name)}/${found}`;
      }
    }
    const hasWim = inner.some((e) => /\.wim$/i.test(e)) || /^wim$/i.test(listing.type);
    const layout = manifests.length === 0 ? 'unknown' : hasWim ? 'msu-wim' : 'msu-cabs';
    const setup = manifests.length === 0 ? await setupBinaries(sevenZip, file, { ...listing, entries: top }, work) : [];
    return { ...base, layout, manifests, hotpatch, setupBinaries: setup };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
