// WinRE's servicing: once, from the first kept image, reused for every edition (media-dynamic-update.md,
// "Update WinRE and each main OS Windows edition": "the serviced Winre.wim file from the first image is
// saved, and used to update each subsequent Windows edition"). Table steps 1, 6, 7, 8: the servicing
// stack, the Safe OS DU, cleanup, export. No LCU and so no checkpoint: "these updates apply to the main
// OS (install.wim) and to WinPE (boot.wim) but not to WinRE" (catalog-checkpoint-cumulative-updates.md,
// "Update Windows installation media"). Pure.
import type { ImageInfo } from '../imaging/types.ts';
import type { Manifest } from '../media/manifest.ts';
import type { UpdatePackage } from './classify.ts';
import type { CumulativeChain } from './checkpoints.ts';
import { recorded, ref, withVersion } from './plan-image.ts';
import type { Operation, PlanTarget, Skip } from './plan-types.ts';

const idle = (skipped: Skip[]): PlanTarget => ({ target: 'winre', title: 'WinRE', engine: 'dism', operations: [], applies: [], skipped, expectPackages: [] });

/** The WinRE target, or undefined when there is nothing to say about WinRE. */
export function winreTarget(
  manifest: Manifest,
  first: ImageInfo | undefined,
  packages: readonly UpdatePackage[],
  chain: CumulativeChain,
): PlanTarget | undefined {
  const safeOs = packages
    .filter((p) => p.kind === 'safe-os')
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))
    .at(-1);
  if (!first) return undefined;
  if (!safeOs) {
    if (!chain.target) return undefined;
    // Said out loud: a month with an LCU and no Safe OS DU leaves the recovery environment behind.
    return idle([
      { kb: '', identity: '', reason: "no Safe OS Dynamic Update among the updates: WinRE is left as it is (add the month's Safe OS DU to service it)" },
    ]);
  }
  const skipped: Skip[] = packages
    .filter((p) => p.kind === 'safe-os' && p !== safeOs)
    .map((p) => ({ kb: p.kb, identity: p.identity, reason: `superseded by the newer Safe OS DU ${safeOs.kb}` }));
  const winreRecords = manifest.updates.filter((u) => u['target'] === 'winre' && u['kind'] === 'safe-os');
  const newest = Math.max(0, ...winreRecords.map((u) => Number(String(u['identity']).split('~').at(-1)?.split('.')[1] ?? 0)));
  if (recorded(manifest, 'winre', safeOs.identity))
    return idle([...skipped, { kb: safeOs.kb, identity: safeOs.identity, reason: 'already applied (recorded in the manifest)' }]);
  if ((safeOs.revision ?? 0) <= newest)
    return idle([...skipped, { kb: safeOs.kb, identity: safeOs.identity, reason: `WinRE already has a newer Safe OS DU (${newest})` }]);

  const operations: Operation[] = [{ action: 'extract-winre', fromIndex: first.index }];
  // "WinRE is serviced by applying the servicing stack update from a cumulative update ... and SafeOS Dynamic Update."
  const lcu = chain.target;
  const ssu = packages.find((p) => p.kind === 'ssu');
  let ssuOp: Extract<Operation, { action: 'add-ssu' }> | undefined;
  if (ssu) ssuOp = { action: 'add-ssu', package: ref(ssu), ssuIdentity: ssu.identity };
  else if (lcu?.ssu) ssuOp = { action: 'add-ssu', package: ref(lcu), ssuIdentity: lcu.ssu.identity, entry: lcu.ssu.entry };
  if (ssuOp) operations.push(ssuOp);
  operations.push({ action: 'add-package', package: ref(safeOs), checkpoints: [] }, { action: 'cleanup', resetBase: true }, { action: 'export' });
  if (lcu)
    skipped.push({
      kb: lcu.kb,
      identity: lcu.identity,
      reason: 'the LCU and its checkpoints are not applied to WinRE (Microsoft: WinRE gets the SSU and the Safe OS DU only)',
    });
  const ssuRef = ssuOp ? (ssuOp.package.kind === 'ssu' ? ssuOp.package : { ...ssuOp.package, identity: ssuOp.ssuIdentity, kind: 'ssu' as const }) : undefined;
  return {
    target: 'winre',
    title: `WinRE (Windows/System32/Recovery/Winre.wim, taken from install.wim index ${first.index}, reused for every edition)`,
    engine: 'dism',
    predicted: withVersion(first.version, safeOs.revision ?? 0),
    operations,
    applies: [...(ssuRef ? [ssuRef] : []), ref(safeOs)],
    skipped,
    expectPackages: [...(ssuOp ? [ssuOp.ssuIdentity] : []), safeOs.identity],
  };
}
