// One install.wim or boot.wim image's servicing, in the order of Microsoft's table
// (media-dynamic-update.md, "Update Windows installation media"): servicing stack (9/17), language
// packs (10), Features on Demand (11), the latest cumulative update with the checkpoints this image
// needs (12/23; "the latest cumulative update is always applied last"), cleanup (13/24), optional
// components (14), .NET 3.5 and the .NET CU (15), export (16/25). Optional components and .NET
// come after cleanup: "doing so creates pending operations ... the call to perform image cleanup
// would fail" (same article, "Additional languages and features"). Pure.
import type { ImageInfo } from '../imaging/types.ts';
import type { Manifest } from '../media/manifest.ts';
import { MediaError } from '../util/errors.ts';
import type { UpdatePackage } from './classify.ts';
import type { CumulativeChain } from './checkpoints.ts';
import type { Operation, PackageRef, PlanOptions, PlanTarget, Skip, TargetId } from './plan-types.ts';

export function ref(pkg: UpdatePackage): PackageRef {
  return { kb: pkg.kb, identity: pkg.identity, file: pkg.file, sha256: pkg.sha256, kind: pkg.kind };
}

export function ubrOf(version: string): number {
  return Number(version.split('.')[3] ?? 0);
}

export function withVersion(version: string, ubr: number, build?: number): string {
  const parts = version.split('.');
  while (parts.length < 4) parts.push('0');
  parts[3] = String(ubr);
  if (build) parts[2] = String(build);
  return parts.join('.');
}

export function recorded(manifest: Manifest, target: TargetId, identity: string): boolean {
  return manifest.updates.some((u) => u['target'] === target && u['identity'] === identity);
}

export interface ImageOptions extends PlanOptions {
  winreServiced: boolean;
  boot: boolean;
}

export function imageTarget(
  manifest: Manifest,
  image: ImageInfo,
  id: TargetId,
  packages: readonly UpdatePackage[],
  chain: CumulativeChain,
  options: ImageOptions,
): PlanTarget {
  const title = `${options.boot ? 'boot.wim' : 'install.wim'} index ${image.index}: ${image.name}`;
  const current = ubrOf(image.version);
  const operations: Operation[] = [];
  const applies: PackageRef[] = [];
  const skipped: Skip[] = [];
  const expectPackages: string[] = [];
  let predicted = current;
  let predictedBuild: number | undefined;
  const skip = (pkg: UpdatePackage, reason: string) => skipped.push({ kb: pkg.kb, identity: pkg.identity, reason });
  const add = (pkg: UpdatePackage) => {
    if (recorded(manifest, id, pkg.identity)) return skip(pkg, 'already applied (recorded in the manifest)');
    operations.push({ action: 'add-package', package: ref(pkg), checkpoints: [] });
    applies.push(ref(pkg));
    expectPackages.push(pkg.identity);
  };
  const ofKind = (kind: UpdatePackage['kind']) => packages.filter((p) => p.kind === kind);

  // A standalone SSU (older builds) goes first (table steps 9 and 17).
  for (const ssu of ofKind('ssu')) {
    if (recorded(manifest, id, ssu.identity)) skip(ssu, 'already applied (recorded in the manifest)');
    else if ((ssu.revision ?? 0) <= current) skip(ssu, `image already at ${image.version}`);
    else {
      operations.push({ action: 'add-ssu', package: ref(ssu), ssuIdentity: ssu.identity });
      applies.push(ref(ssu));
      expectPackages.push(ssu.identity);
    }
  }

  if (!options.boot) {
    // "ensure that languages are installed before Features on Demand, and the latest cumulative update is always applied last"
    ofKind('language-pack').forEach(add);
    ofKind('fod').forEach(add);
    for (const ekb of ofKind('enablement')) {
      add(ekb);
      if (operations.at(-1)?.action === 'add-package' && ekb.enablesBuild) predictedBuild = ekb.enablesBuild;
    }
  } else {
    for (const pkg of packages.filter((p) => ['language-pack', 'fod', 'optional-component', 'enablement', 'dotnet'].includes(p.kind)))
      skip(pkg, 'not applied to WinPE (boot.wim takes the servicing stack and the LCU)');
  }

  const { target, checkpoints } = chain;
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
      const missing = chain.missing.filter((m) => m.revision > current);
      if (missing.length > 0) {
        throw new MediaError(
          `${title} (${image.version}) needs the checkpoint cumulative update ${missing.map((m) => `${m.kb} (${target.build}.${m.revision})`).join(', ')} before ${target.kb}, and it is not among the updates`,
          {
            fix: `Download it from the Microsoft Update Catalog (the download button of ${target.kb} lists its checkpoints) and put it beside ${target.fileName}. Nothing was changed.`,
          },
        );
      }
      // Per image by build.UBR: a checkpoint goes into an image below it, never into one at or above it.
      const needed = checkpoints.filter((c) => (c.revision ?? 0) > current);
      for (const c of checkpoints.filter((x) => !needed.includes(x)))
        skip(
          c,
          `checkpoint already contained: image at ${image.version}, ${c.kb} brings ${c.build}.${c.revision}${options.boot && current > (c.revision ?? 0) ? ' (adding it to this WinPE would fail with 0x80073712)' : ''}`,
        );
      operations.push({
        action: 'add-package',
        package: ref(target),
        checkpoints: needed.map(ref),
        embeddedSsu: target.ssu ? `${target.ssu.identity.split('~').at(-1)} (${target.ssu.entry})` : undefined,
      });
      applies.push(...needed.map(ref), ref(target));
      expectPackages.push(target.identity);
      if (target.ssu) expectPackages.push(target.ssu.identity);
      predicted = target.revision ?? current;
    }
  }

  if (!options.boot && options.winreServiced) operations.push({ action: 'replace-winre' });
  const serviced = operations.some((o) => o.action === 'add-package' || o.action === 'add-ssu');
  if (serviced && options.cleanup) operations.push({ action: 'cleanup', resetBase: options.boot });

  if (!options.boot) {
    ofKind('optional-component').forEach(add);
    if (options.netfx3 && !recorded(manifest, id, 'NetFx3')) {
      operations.push({ action: 'enable-netfx3' });
      applies.push({ kb: '', identity: 'NetFx3', file: 'sources/sxs', sha256: '', kind: 'other' });
    }
    ofKind('dotnet').forEach(add);
  }

  const onlyWinre = operations.length === 1 && operations[0]!.action === 'replace-winre';
  if (operations.length > 0) operations.push({ action: 'export' });
  return {
    target: id,
    title,
    engine: onlyWinre ? 'cross-platform' : 'dism',
    before: image.version,
    predicted: withVersion(image.version, predicted, predictedBuild),
    operations,
    applies,
    skipped,
    expectPackages,
  };
}
