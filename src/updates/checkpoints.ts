// Which cumulative updates to install: the target (the newest LCU for the build) and the checkpoint
// CUs it needs, nothing else. Sources:
// - media-dynamic-update.md, "Checkpoint cumulative updates": "Only the target cumulative update and
//   checkpoint cumulative updates should be in the -PackagePath folder. Cumulative update packages
//   with a revision <= the target cumulative update will be processed."
// - catalog-checkpoint-cumulative-updates.md: "If any checkpoint cumulative updates precede a target
//   update, a device or image needs to take all prior checkpoint cumulative updates before it can take
//   the target update"; KB5043080 (2024-09) is the checkpoint that precedes KB5048667.
// Checkpoints are not marked inside the package, so they are known by KB (table below, plus the
// recipe's updates.checkpoints). W10UI :chklcu also takes the highest RollupFix revision as the target.
import type { UpdatePackage } from './classify.ts';
import type { Skip } from './plan-types.ts';

/** Known checkpoint CUs per servicing build: KB5043080 brings 26100 to 26100.1742 (its KB article's OS build). */
export const KNOWN_CHECKPOINTS: Record<number, readonly { kb: string; revision: number }[]> = {
  26100: [{ kb: 'KB5043080', revision: 1742 }],
};

export interface CumulativeChain {
  target?: UpdatePackage;
  /** Checkpoint CUs in the folder, older than the target, oldest first. */
  checkpoints: UpdatePackage[];
  /** Other LCUs in the folder (last month's…): never installed. */
  superseded: Skip[];
  /** Known checkpoints older than the target that the folder does not hold. */
  missing: { kb: string; revision: number }[];
}

export function cumulativeChain(packages: readonly UpdatePackage[], build: number, extra: readonly string[] = []): CumulativeChain {
  const lcus = packages.filter((p) => p.kind === 'lcu').sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const target = lcus.at(-1);
  if (!target) return { checkpoints: [], superseded: [], missing: [] };
  const known = KNOWN_CHECKPOINTS[build] ?? [];
  const wanted = new Set([...known.map((k) => k.kb), ...extra.map((kb) => kb.toUpperCase())]);
  const checkpoints: UpdatePackage[] = [];
  const superseded: Skip[] = [];
  for (const lcu of lcus.slice(0, -1)) {
    if (wanted.has(lcu.kb.toUpperCase())) checkpoints.push(lcu);
    else
      superseded.push({
        kb: lcu.kb,
        identity: lcu.identity,
        reason: `superseded by ${target.kb} (${target.build}.${target.revision}) and not a checkpoint: never installed (Microsoft: only the target cumulative update and checkpoint cumulative updates belong with it); remove ${lcu.fileName} from the folder, or name it in updates.checkpoints if its KB article says it is a checkpoint`,
      });
  }
  const present = new Set(lcus.map((l) => l.kb.toUpperCase()));
  const missing = known.filter((k) => k.revision < (target.revision ?? 0) && !present.has(k.kb));
  return { target, checkpoints, superseded, missing };
}
