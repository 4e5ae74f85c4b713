// The servicing planner: a pure function from (manifest, classified updates, options) to an
// ordered plan that follows Microsoft's documented order ("Update Windows installation media with
// Dynamic Update", and the checkpoint cumulative update notes):
//   WinRE once (SSU from the CU, Safe OS DU, cleanup /ResetBase, export), reused for every edition;
//   install.wim per image (SSU/CU, LCU with its checkpoints, cleanup, .NET 3.5 and .NET CU, export);
//   boot.wim per image (LCU with its checkpoints, cleanup /ResetBase, export);
//   media (Setup DU into sources/, then setup files and boot managers from boot.wim index 2).
import type { Manifest } from '../media/manifest.ts';
import type { ImageInfo } from '../imaging/types.ts';
import type { Rejection, UpdatePackage } from './classify.ts';
import type { BootCa } from '../media/boot/authenticode.ts';
import { describeBootFiles, planBootFiles, type BootFilesOperation } from '../media/boot/boot-files.ts';

export type TargetId = `install.wim:${number}` | `boot.wim:${number}` | 'winre' | 'media';

export interface PackageRef {
  kb: string;
  identity: string;
  file: string;
  sha256: string;
  kind: UpdatePackage['kind'];
}

export type Operation =
  | { action: 'extract-winre'; fromIndex: number }
  | { action: 'add-ssu'; package: PackageRef; ssuIdentity: string; entry?: string }
  | { action: 'add-package'; package: PackageRef; checkpoints: PackageRef[] }
  | { action: 'replace-winre' }
  | { action: 'cleanup'; resetBase: boolean }
  | { action: 'enable-netfx3' }
  | { action: 'export' }
  | { action: 'expand-setup-du'; package: PackageRef }
  | BootFilesOperation;

export interface Skip {
  kb: string;
  identity: string;
  reason: string;
}

export interface PlanTarget {
  target: TargetId;
  title: string;
  /** What runs it: DISM (mount and package servicing), wimlib or 7-Zip (cross-platform). */
  engine: 'dism' | 'cross-platform';
  /** major.minor.build.UBR before and, as predicted, after. */
  before?: string;
  predicted?: string;
  operations: Operation[];
  /** Packages this target receives: recorded in the manifest once verified. */
  applies: PackageRef[];
  /** Packages present in the updates that this target does not get, and why. */
  skipped: Skip[];
  /** DISM package identities that must be present after servicing. */
  expectPackages: string[];
}

export interface ServicingPlan {
  targets: PlanTarget[];
  needsDism: boolean;
  rejections: Rejection[];
  /** Files accepted without a pin (reported, allowed). */
  unpinned: string[];
  /** Every classified package, for reports. */
  packages: UpdatePackage[];
}

export interface PlanOptions {
  /** Run /StartComponentCleanup (default true). */
  cleanup: boolean;
  /** Enable .NET Framework 3.5 (NetFx3) in install.wim images, from sources/sxs. */
  netfx3: boolean;
}

/** The update records apply-updates keeps in the manifest, one per target and package. */
export interface AppliedUpdate {
  target: TargetId;
  kind: UpdatePackage['kind'];
  kb: string;
  identity: string;
  file: string;
  sha256: string;
}

/** First build whose boot.wim carries setuphost.exe (24H2). */
const SETUPHOST_BUILD = 26100;

/** KB5043080 is the 24H2 checkpoint (26100.1742) that breaks a WinPE already past it (0x80073712). */
const WINPE_CHECKPOINT = 'KB5043080';

function ref(pkg: UpdatePackage): PackageRef {
  return { kb: pkg.kb, identity: pkg.identity, file: pkg.file, sha256: pkg.sha256, kind: pkg.kind };
}

function ubrOf(version: string): number {
  return Number(version.split('.')[3] ?? 0);
}

function withUbr(version: string, ubr: number): string {
  const parts = version.split('.');
  while (parts.length < 4) parts.push('0');
  parts[3] = String(ubr);
  return parts.join('.');
}

export function appliedUpdates(manifest: Manifest): AppliedUpdate[] {
  return manifest.updates as unknown as AppliedUpdate[];
}

function recorded(manifest: Manifest, target: TargetId, identity: string): boolean {
  return appliedUpdates(manifest).some((u) => u.target === target && u.identity === identity);
}

/** The target LCU (highest revision) and the checkpoint CUs before it, oldest first. */
export function cumulativeChain(packages: readonly UpdatePackage[]): { target?: UpdatePackage; checkpoints: UpdatePackage[] } {
  const lcus = packages.filter((p) => p.kind === 'lcu').sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const target = lcus.at(-1);
  return { target, checkpoints: lcus.slice(0, -1) };
}

function imageTarget(
  manifest: Manifest,
  image: ImageInfo,
  id: TargetId,
  packages: readonly UpdatePackage[],
  options: PlanOptions & { winreServiced: boolean; boot: boolean },
): PlanTarget {
  const current = ubrOf(image.version);
  const operations: Operation[] = [];
  const applies: PackageRef[] = [];
  const skipped: Skip[] = [];
  const expectPackages: string[] = [];
  let predicted = current;
  const skip = (pkg: UpdatePackage, reason: string) => skipped.push({ kb: pkg.kb, identity: pkg.identity, reason });

  const standaloneSsu = packages.filter((p) => p.kind === 'ssu');
  for (const ssu of standaloneSsu) {
    if (recorded(manifest, id, ssu.identity)) skip(ssu, 'already applied (recorded in the manifest)');
    else if ((ssu.revision ?? 0) <= current) skip(ssu, `image already at ${image.version}`);
    else {
      operations.push({ action: 'add-ssu', package: ref(ssu), ssuIdentity: ssu.identity });
      applies.push(ref(ssu));
      expectPackages.push(ssu.identity);
    }
  }

  const { target, checkpoints } = cumulativeChain(packages);
  if (target) {
    const recordedAlready = recorded(manifest, id, target.identity);
    if (recordedAlready || (target.revision ?? 0) <= current) {
      skip(
        target,
        recordedAlready
          ? 'already applied (recorded in the manifest)'
          : `image already at ${image.version} (this CU brings ${target.build}.${target.revision})`,
      );
      for (const checkpoint of checkpoints) skip(checkpoint, `checkpoint of ${target.kb}, which this image does not need`);
    } else {
      const needed: UpdatePackage[] = [];
      for (const checkpoint of checkpoints) {
        if ((checkpoint.revision ?? 0) > current) needed.push(checkpoint);
        else if (options.boot && checkpoint.kb === WINPE_CHECKPOINT)
          skip(checkpoint, `checkpoint left out for WinPE: it already has RollupFix ${image.version} (adding ${WINPE_CHECKPOINT} would fail with 0x80073712)`);
        else skip(checkpoint, `checkpoint already contained: image at ${image.version}`);
      }
      operations.push({ action: 'add-package', package: ref(target), checkpoints: needed.map(ref) });
      applies.push(ref(target), ...needed.map(ref));
      expectPackages.push(target.identity);
      if (target.ssu) expectPackages.push(target.ssu.identity);
      predicted = target.revision ?? current;
    }
  }

  /** Packages added as they are, unless the manifest records them for this image. */
  const addEach = (kind: UpdatePackage['kind']) => {
    for (const pkg of packages.filter((p) => p.kind === kind)) {
      if (recorded(manifest, id, pkg.identity)) skip(pkg, 'already applied (recorded in the manifest)');
      else {
        operations.push({ action: 'add-package', package: ref(pkg), checkpoints: [] });
        applies.push(ref(pkg));
        expectPackages.push(pkg.identity);
      }
    }
  };

  if (!options.boot) {
    addEach('other');
    if (options.winreServiced) operations.push({ action: 'replace-winre' });
  }

  const serviced = operations.some((o) => o.action === 'add-package' || o.action === 'add-ssu');
  if (serviced && options.cleanup) operations.push({ action: 'cleanup', resetBase: options.boot });

  if (!options.boot) {
    // .NET 3.5 and the .NET CU after cleanup: they leave pending operations that make cleanup fail (0x800f0806).
    if (options.netfx3 && !recorded(manifest, id, 'NetFx3')) {
      operations.push({ action: 'enable-netfx3' });
      applies.push({ kb: '', identity: 'NetFx3', file: 'sources/sxs', sha256: '', kind: 'other' });
    }
    addEach('dotnet');
  } else {
    for (const pkg of packages.filter((p) => p.kind === 'dotnet' || p.kind === 'other')) skip(pkg, 'not applied to WinPE');
  }

  const onlyWinre = operations.length === 1 && operations[0]!.action === 'replace-winre';
  if (operations.length > 0) operations.push({ action: 'export' });
  return {
    target: id,
    title: `${options.boot ? 'boot.wim' : 'install.wim'} index ${image.index}: ${image.name}`,
    engine: onlyWinre ? 'cross-platform' : 'dism',
    before: image.version,
    predicted: withUbr(image.version, predicted),
    operations,
    applies,
    skipped,
    expectPackages,
  };
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
  const targets: PlanTarget[] = [];
  const images = manifest.installWim.images;
  const first = images[0];

  // WinRE: once, from the first kept image, reused for every edition.
  const safeOs = packages
    .filter((p) => p.kind === 'safe-os')
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))
    .at(-1);
  let winreServiced = false;
  if (safeOs && first) {
    const operations: Operation[] = [{ action: 'extract-winre', fromIndex: first.index }];
    const applies: PackageRef[] = [];
    const skipped: Skip[] = packages
      .filter((p) => p.kind === 'safe-os' && p !== safeOs)
      .map((p) => ({ kb: p.kb, identity: p.identity, reason: `superseded by the newer Safe OS DU ${safeOs.kb}` }));
    const winreRecords = appliedUpdates(manifest).filter((u) => u.target === 'winre' && u.kind === 'safe-os');
    const newest = Math.max(0, ...winreRecords.map((u) => Number(u.identity.split('~').at(-1)?.split('.')[1] ?? 0)));
    if (recorded(manifest, 'winre', safeOs.identity))
      skipped.push({ kb: safeOs.kb, identity: safeOs.identity, reason: 'already applied (recorded in the manifest)' });
    else if ((safeOs.revision ?? 0) <= newest)
      skipped.push({ kb: safeOs.kb, identity: safeOs.identity, reason: `WinRE already has a newer Safe OS DU (${newest})` });
    else {
      const { target: lcu } = cumulativeChain(packages);
      const ssu = packages.find((p) => p.kind === 'ssu');
      if (ssu) operations.push({ action: 'add-ssu', package: ref(ssu), ssuIdentity: ssu.identity });
      else if (lcu?.ssu) operations.push({ action: 'add-ssu', package: ref(lcu), ssuIdentity: lcu.ssu.identity, entry: lcu.ssu.entry });
      operations.push({ action: 'add-package', package: ref(safeOs), checkpoints: [] }, { action: 'cleanup', resetBase: true }, { action: 'export' });
      applies.push(ref(safeOs));
      if (lcu)
        skipped.push({ kb: lcu.kb, identity: lcu.identity, reason: 'the LCU is not applied to WinRE (Microsoft: WinRE gets the SSU and the Safe OS DU only)' });
      winreServiced = true;
      const ssuIdentity = operations.find((o): o is Extract<Operation, { action: 'add-ssu' }> => o.action === 'add-ssu');
      targets.push({
        target: 'winre',
        title: `WinRE (Windows/System32/Recovery/Winre.wim, taken from install.wim index ${first.index}, reused for every edition)`,
        engine: 'dism',
        predicted: withUbr(first.version, safeOs.revision ?? 0),
        operations,
        applies: ssuIdentity
          ? [ssuIdentity.package.kind === 'ssu' ? ssuIdentity.package : { ...ssuIdentity.package, identity: ssuIdentity.ssuIdentity, kind: 'ssu' }, ...applies]
          : applies,
        skipped,
        expectPackages: [...(ssuIdentity ? [ssuIdentity.ssuIdentity] : []), safeOs.identity],
      });
    }
    if (!winreServiced) targets.push({ target: 'winre', title: 'WinRE', engine: 'dism', operations: [], applies: [], skipped, expectPackages: [] });
  } else if (first && cumulativeChain(packages).target) {
    // Said out loud: a month with an LCU and no Safe OS DU leaves the recovery environment behind.
    targets.push({
      target: 'winre',
      title: 'WinRE',
      engine: 'dism',
      operations: [],
      applies: [],
      expectPackages: [],
      skipped: [
        { kb: '', identity: '', reason: "no Safe OS Dynamic Update among the updates: WinRE is left as it is (add the month's Safe OS DU to service it)" },
      ],
    });
  }

  for (const image of images) targets.push(imageTarget(manifest, image, `install.wim:${image.index}`, packages, { ...options, winreServiced, boot: false }));
  for (const image of manifest.bootWim?.images ?? [])
    targets.push(imageTarget(manifest, image, `boot.wim:${image.index}`, packages, { ...options, winreServiced: false, boot: true }));

  // Media: the Setup DU into sources/, then the serviced setup files and boot managers from boot.wim index 2.
  const media: PlanTarget = {
    target: 'media',
    title: 'media (sources/ and boot files)',
    engine: 'cross-platform',
    operations: [],
    applies: [],
    skipped: [],
    expectPackages: [],
  };
  for (const setup of packages.filter((p) => p.kind === 'setup')) {
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
  };
}

const OPERATION_TEXT: { [A in Operation['action']]: (op: Extract<Operation, { action: A }>) => string } = {
  'extract-winre': (op) => `take Winre.wim out of install.wim index ${op.fromIndex}`,
  'add-ssu': (op) =>
    `add servicing stack ${op.ssuIdentity.split('~').at(-1)}${op.entry ? ` (${op.entry} from ${op.package.kb} ${fileName(op.package.file)})` : ` ${op.package.kb}`}`,
  'add-package': (op) =>
    `add ${op.package.kind === 'lcu' ? 'cumulative update' : op.package.kind === 'safe-os' ? 'Safe OS DU' : op.package.kind === 'dotnet' ? '.NET CU' : 'package'} ${op.package.kb} ${op.package.identity.split('~').at(-1)}${op.checkpoints.length ? ` with checkpoint(s) ${op.checkpoints.map((c) => c.kb).join(', ')}` : ''}`,
  'replace-winre': () => 'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
  cleanup: (op) => `component cleanup (/StartComponentCleanup${op.resetBase ? ' /ResetBase' : ''})`,
  'enable-netfx3': () => 'enable .NET Framework 3.5 (NetFx3) from sources/sxs',
  export: () => 'export the image (drops superseded data)',
  'expand-setup-du': (op) => `expand Setup DU ${op.package.kb} into sources/`,
  'copy-from-boot': (op) => describeBootFiles(op),
};

function fileName(file: string): string {
  return file.split(/[\\/]/).at(-1) ?? file;
}

export function describeOperation(op: Operation): string {
  return (OPERATION_TEXT[op.action] as (o: Operation) => string)(op);
}

/** The plan as a table: one row per target, with its build before and after and the updates it gets. */
export function formatPlanTable(plan: ServicingPlan): string[] {
  const rows = [
    ['target', 'before', 'after', 'operations', 'updates'],
    ...plan.targets.map((t) => [
      t.target,
      t.before ?? '-',
      t.predicted ?? '-',
      String(t.operations.length),
      [...new Set(t.applies.map((a) => a.kb || a.identity))].join(', ') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}

/** The plan as text: one block per target, with its predicted build, then what was left out. */
export function formatPlan(plan: ServicingPlan): string[] {
  const lines: string[] = [];
  for (const target of plan.targets) {
    const idle = target.operations.length === 0;
    const build = idle ? (target.before ? `  ${target.before}` : '') : target.predicted ? `  ${target.before ?? '?'} → ${target.predicted}` : '';
    lines.push(`${target.title}${build}${idle ? '  (nothing to do)' : ''}`);
    target.operations.forEach((op, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeOperation(op)}`));
    for (const skip of target.skipped) lines.push(`      ${skip.kb || skip.identity ? `skip ${skip.kb || skip.identity}: ` : 'note: '}${skip.reason}`);
  }
  for (const rejection of plan.rejections) lines.push(`rejected ${rejection.fileName}: ${rejection.reason}`);
  for (const file of plan.unpinned) lines.push(`unpinned ${file}: no SHA-256 pin (recipe or SHA256SUMS)`);
  if (plan.needsDism) lines.push('needs DISM: the image servicing above runs on a Windows runner');
  return lines;
}
