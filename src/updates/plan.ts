// The servicing planner: a pure function from (manifest, classified updates, options) to an
// ordered plan in Microsoft's documented order ("Update Windows installation media with Dynamic
// Update", its table and sample script, and the checkpoint cumulative update notes):
//   WinRE once (SSU, Safe OS DU, cleanup /ResetBase, export), reused for every edition (plan-winre.ts);
//   install.wim per image, then boot.wim per image (plan-image.ts), with the target LCU and only the
//   checkpoints each image needs (checkpoints.ts);
//   media: the Setup DU into sources/, then setup files and boot managers from boot.wim index 2 (boot-files.ts).
import type { ImageInfo } from '../imaging/types.ts';
import type { Manifest } from '../media/manifest.ts';
import { MediaError } from '../util/errors.ts';
import type { BootCa } from '../media/boot/authenticode.ts';
import { planBootFiles } from '../media/boot/boot-files.ts';
import { servicingBuild, type Rejection, type UpdatePackage } from './classify.ts';
import { cumulativeChain } from './checkpoints.ts';
import { imageTarget, recorded, ref } from './plan-image.ts';
import type { AppliedUpdate, PlanOptions, PlanTarget, ServicingPlan } from './plan-types.ts';
import { winreTarget } from './plan-winre.ts';

export * from './plan-types.ts';
export { describeOperation, formatPlan, formatPlanTable } from './plan-format.ts';
export { cumulativeChain, KNOWN_CHECKPOINTS } from './checkpoints.ts';

/** First build whose boot.wim carries setuphost.exe (24H2; media-dynamic-update.md sample). */
const SETUPHOST_BUILD = 26100;

export function appliedUpdates(manifest: Manifest): AppliedUpdate[] {
  return manifest.updates as unknown as AppliedUpdate[];
}

/** Every decision needs the image's version: an image whose XML has none stops the plan, named. */
export function requireVersion(image: ImageInfo, wim: string): void {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(image.version) && Number(image.version.split('.')[2]) > 0) return;
  throw new MediaError(
    `${wim} index ${image.index} (${image.name}) has no Windows version in its image XML (WINDOWS/VERSION is ${image.version ? `"${image.version}"` : 'missing'})`,
    {
      fix: 'osmedia cannot tell which updates that image needs. Re-import media made by Microsoft or by DISM; a WIM captured without Windows image XML cannot be serviced. Nothing was changed.',
    },
  );
}

/** Dynamic Updates should be of the LCU's month (media-dynamic-update.md, "Acquire Dynamic Update packages"). */
function monthWarnings(packages: readonly UpdatePackage[], lcu: UpdatePackage | undefined): string[] {
  if (!lcu?.month) return [];
  return packages
    .filter((p) => (p.kind === 'setup' || p.kind === 'safe-os') && p.month && p.month !== lcu.month)
    .map(
      (p) =>
        `the ${p.kind === 'setup' ? 'Setup' : 'Safe OS'} Dynamic Update ${p.kb || p.fileName} is from ${p.month}, the cumulative update ${lcu.kb} from ${lcu.month}: use the Dynamic Updates of the LCU's month (or the latest published before it)`,
    );
}

/** Orders the servicing of this media with these updates. Pure. */
export function planServicing(
  manifest: Manifest,
  packages: readonly UpdatePackage[],
  options: PlanOptions,
  extra: {
    rejections?: Rejection[];
    mediaFiles?: readonly string[];
    /** The signer of the media's efi/boot/bootx64.efi (read by the caller): 2023 files are never downgraded. */
    mediaBootCa?: BootCa;
    /** media.bootManager: '2023' switches to the Windows UEFI CA 2023 boot manager. */
    bootManager?: '2023' | 'keep';
  } = {},
): ServicingPlan {
  const images = manifest.installWim.images;
  for (const image of images) requireVersion(image, 'install.wim');
  for (const image of manifest.bootWim?.images ?? []) requireVersion(image, 'boot.wim');
  const first = images[0];
  const build = servicingBuild(Number(first?.version.split('.')[2] ?? 0));
  const chain = cumulativeChain(packages, build, options.checkpoints);
  // Superseded LCUs go nowhere: they are left out of every image's package list.
  const superseded = new Set(chain.superseded.map((s) => s.identity));
  const usable = packages.filter((p) => !superseded.has(p.identity));

  const targets: PlanTarget[] = [];
  const winre = winreTarget(manifest, first, usable, chain);
  if (winre) targets.push(winre);
  const winreServiced = (winre?.operations.length ?? 0) > 0;
  for (const image of images)
    targets.push(imageTarget(manifest, image, `install.wim:${image.index}`, usable, chain, { ...options, winreServiced, boot: false }));
  for (const image of manifest.bootWim?.images ?? [])
    targets.push(imageTarget(manifest, image, `boot.wim:${image.index}`, usable, chain, { ...options, winreServiced: false, boot: true }));

  // Media: the Setup DU into sources/ (table step 26), then setup files and boot managers from boot.wim index 2 (27, 28).
  const media: PlanTarget = {
    target: 'media',
    title: 'media (sources/ and boot files)',
    engine: 'cross-platform',
    operations: [],
    applies: [],
    skipped: [],
    expectPackages: [],
  };
  for (const setup of usable.filter((p) => p.kind === 'setup')) {
    if (recorded(manifest, 'media', setup.identity))
      media.skipped.push({ kb: setup.kb, identity: setup.identity, reason: 'already applied (recorded in the manifest)' });
    else {
      media.operations.push({ action: 'expand-setup-du', package: ref(setup) });
      media.applies.push(ref(setup));
    }
  }
  const bootServiced = targets.some((t) => t.target.startsWith('boot.wim:') && t.operations.length > 0);
  const setupImage = manifest.bootWim?.images.find((i) => i.index === 2);
  if ((media.operations.length > 0 || bootServiced || extra.bootManager === '2023') && setupImage) {
    // Setup files and boot files (src/media/boot/boot-files.ts): the "keep 2023 files" rule lives there.
    const build = Number(setupImage.version.split('.')[2] ?? 0);
    const mediaFiles = extra.mediaFiles ?? manifest.files.map((f) => f.path);
    const boot = planBootFiles(mediaFiles, { setuphost: build >= SETUPHOST_BUILD, mediaCa: extra.mediaBootCa, bootManager: extra.bootManager });
    media.operations.push(...boot.operations);
    media.skipped.push(...boot.notes.map((reason) => ({ kb: '', identity: '', reason })));
  }
  if (media.operations.length > 0 || media.skipped.length > 0) targets.push(media);

  return {
    targets,
    needsDism: targets.some((t) => t.engine === 'dism' && t.operations.length > 0),
    rejections: extra.rejections ?? [],
    unpinned: packages.filter((p) => !p.pinned).map((p) => p.fileName),
    packages: [...packages],
    superseded: chain.superseded,
    warnings: monthWarnings(usable, chain.target),
  };
}
