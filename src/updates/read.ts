// Reads what an update package file holds, on any OS, with 7-Zip: its top-level entries and every
// update.mum it carries, wherever the package keeps it (in a CAB; in the CABs inside an MSU; or in
// the WIM that Windows 11 MSUs carry beside a PSF and an SSU CAB).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SevenZip } from '../imaging/sevenzip.ts';
import { MediaError } from '../util/errors.ts';
import { exists } from '../util/fs.ts';
import { checkEntries, checkRoom } from '../util/safe-extract.ts';

/** Limits for what reading a package writes: its manifest, and an MSU's inner packages (a 2025 LCU's WIM is a few GB). */
const MUM_CAP = 64 * 1024 * 1024;
const INNER_CAP = 32 * 1024 ** 3;
import { decodeMum, parseMum, type PackageManifest } from './mum.ts';

export interface FoundManifest {
  /** Where it was found: "update.mum", or "<inner file>/update.mum" inside an MSU. */
  entry: string;
  /** The inner file of an MSU that carries it (a CAB or WIM); absent for a CAB's own manifest. */
  container?: string;
  manifest: PackageManifest;
}

export interface PackageContents {
  file: string;
  /** 7-Zip's type of the file (Cab for both .cab and .msu). */
  type: string;
  layout: 'cab' | 'msu-cabs' | 'msu-wim' | 'unknown';
  /** Top-level entries, '/'-separated. */
  entries: string[];
  manifests: FoundManifest[];
}

/** Inner CABs of an MSU that are not servicing packages (scan data, deployment helpers). */
const HELPER_CABS = /^(wsusscan|desktopdeployment(_x86)?|onepackage\.aggregatedmetadata)\.cab$/i;

async function manifestIn(sevenZip: SevenZip, archive: string, work: string): Promise<PackageManifest | undefined> {
  const listing = await sevenZip.list(archive);
  // A multi-image WIM lists its images as folders "1/", "2/"; update packages hold one image.
  const entry = listing.entries.find((e) => !e.folder && /^(\d+\/)?update\.mum$/i.test(e.path));
  if (!entry) return undefined;
  await checkRoom(archive, entry.size, path.join(work, 'x'), MUM_CAP); // an update.mum is kilobytes
  await mkdir(work, { recursive: true });
  await sevenZip.extract(archive, work, { paths: [entry.path] });
  const file = path.join(work, ...entry.path.split('/'));
  try {
    return parseMum(decodeMum(await readFile(file)));
  } catch (error) {
    throw new MediaError(`${path.basename(archive)}: its ${entry.path} cannot be read (${(error as Error).message})`, {
      fix: 'The package is damaged: download it again from the Microsoft Update Catalog.',
      cause: error,
    });
  }
}

/** Lists a package and reads its manifests; temporary files go to `work` and are removed. */
export async function readPackage(sevenZip: SevenZip, file: string, work: string): Promise<PackageContents> {
  await rm(work, { recursive: true, force: true });
  try {
    const listing = await sevenZip.list(file);
    // A package with a hostile entry name or a link is refused here, at plan time, before any of it is written (issue 16.10).
    checkEntries(file, listing.entries);
    const entries = listing.entries.filter((e) => !e.folder).map((e) => e.path);
    const own = await manifestIn(sevenZip, file, path.join(work, 'own'));
    if (own) return { file, type: listing.type, layout: 'cab', entries, manifests: [{ entry: 'update.mum', manifest: own }] };
    // An MSU: read the manifest of each inner package (CABs and WIMs at the top level).
    const inner = entries.filter((e) => !e.includes('/') && /\.(cab|wim)$/i.test(e) && !HELPER_CABS.test(e));
    const manifests: FoundManifest[] = [];
    if (inner.length > 0) {
      const innerDir = path.join(work, 'inner');
      // The inner files are written before they are read: a bomb inside an MSU must not fill the disk (issue 16.6).
      const innerBytes = listing.entries.filter((e) => inner.includes(e.path)).reduce((sum, e) => sum + e.size, 0);
      await checkRoom(file, innerBytes, innerDir, INNER_CAP);
      await sevenZip.extract(file, innerDir, { paths: inner });
      for (const [i, name] of inner.entries()) {
        const innerFile = path.join(innerDir, name);
        if (!(await exists(innerFile))) continue;
        const manifest = await manifestIn(sevenZip, innerFile, path.join(work, `m${i}`));
        if (manifest) manifests.push({ entry: `${name}/update.mum`, container: name, manifest });
      }
    }
    const hasWim = inner.some((e) => /\.wim$/i.test(e)) && entries.some((e) => /\.psf$/i.test(e));
    const layout = manifests.length === 0 ? 'unknown' : hasWim ? 'msu-wim' : 'msu-cabs';
    return { file, type: listing.type, layout, entries, manifests };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
