// Chooses, from the classified packages of one month's folder, the files one media line needs:
// exactly one per role, the target LCU and the checkpoints it needs. Pure; tested on real-shaped
// packages. Rules and sources:
// - The target is the month's newest cumulative update; its checkpoints come from the known table and
//   the recipe's updates.checkpoints (src/updates/checkpoints.ts, which cites media-dynamic-update.md,
//   "Checkpoint cumulative updates", and catalog-checkpoint-cumulative-updates.md).
// - An older month's LCU is never pinned: Microsoft says only the target cumulative update and its
//   checkpoints belong in the package folder (media-dynamic-update.md, as cited there).
// - Two candidates for one role (two Safe OS DUs, two Setup DUs, two LCUs of the month) is an error
//   listing both: which one is right is the admin's call, never a guess.
import { servicingBuild, type MediaTarget, type Rejection, type UpdatePackage } from '../updates/classify.ts';
import { cumulativeChain, KNOWN_CHECKPOINTS } from '../updates/checkpoints.ts';
import { MediaError } from '../util/errors.ts';
import type { LockRole } from './lock.ts';

/** A package with the month folder it was found in. */
export interface FoundPackage extends UpdatePackage {
  /** The month folder it is in (YYYY-MM). */
  folder: string;
}

export interface Selected {
  role: LockRole;
  pkg: FoundPackage;
}

export interface Selection {
  selected: Selected[];
  /** Files looked at and not pinned, with why (other architectures, older months' LCUs…). */
  notPinned: Rejection[];
  /** Known checkpoints the target needs that the month folder does not hold (searched for in older months). */
  missingCheckpoints: string[];
}

const SINGLE_ROLES: Partial<Record<UpdatePackage['kind'], LockRole>> = { ssu: 'ssu', 'safe-os': 'safeos-du', setup: 'setup-du', dotnet: 'dotnet' };

/** The month before YYYY-MM. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** build.UBR for the lock: 26100.2314 (an LCU, an SSU, a Safe OS DU), the Setup DU's setup binaries' version. */
export function buildUbr(pkg: UpdatePackage): string | undefined {
  if (pkg.build !== undefined && pkg.revision !== undefined) return `${pkg.build}.${pkg.revision}`;
  const setup = /\b10\.0\.(\d+)\.(\d+)\b/.exec(pkg.setupVersion ?? '');
  if (setup) return `${setup[1]}.${setup[2]}`;
  return pkg.build !== undefined ? String(pkg.build) : undefined;
}

function describe(pkg: FoundPackage): string {
  return `${pkg.folder}/${pkg.fileName} (${pkg.kb || 'no KB'}, ${pkg.identity}${pkg.month ? `, built ${pkg.month}` : ''})`;
}

/**
 * Picks the month's files. `packages` are those of the month folder; `media.revision` (the UBR of the
 * source media) drops checkpoints the media already has.
 */
export function selectMonth(
  month: string,
  packages: readonly FoundPackage[],
  media: MediaTarget & { revision?: number },
  extraCheckpoints: readonly string[],
  searched: string,
): Selection {
  const build = servicingBuild(media.build);
  const notPinned: Rejection[] = [];
  const byIdentity = new Map(packages.map((p) => [p.identity, p]));
  const chain = cumulativeChain(packages, build, extraCheckpoints);
  const target = chain.target as FoundPackage | undefined;
  const oldest = previousMonth(month);
  if (!target || (target.month !== undefined && target.month < oldest)) {
    const older = target ? ` It holds only ${describe(target)}, an older month's: an older month's LCU is never pinned.` : '';
    throw new MediaError(
      `No cumulative update (LCU) for ${month} for build ${build} ${media.architecture} in ${searched}.${older} Looked at ${packages.length} package(s) there${
        packages.length ? `: ${packages.map((p) => `${p.fileName} (${p.kind})`).join(', ')}` : ''
      }.`,
      {
        fix: `Download the ${month} cumulative update for build ${build} ${media.architecture} from the Microsoft Update Catalog into ${searched}, or resolve another month with --month.`,
      },
    );
  }
  const selected: Selected[] = [{ role: 'lcu', pkg: target }];
  const wanted = new Set(extraCheckpoints.map((kb) => kb.toUpperCase()));
  for (const checkpoint of chain.checkpoints) {
    const known = (KNOWN_CHECKPOINTS[build] ?? []).find((k) => k.kb === checkpoint.kb.toUpperCase());
    // A checkpoint the media already has (its UBR is at or past it) is not needed.
    if (known && media.revision !== undefined && media.revision >= known.revision && !wanted.has(known.kb)) {
      notPinned.push({
        file: checkpoint.file,
        fileName: checkpoint.fileName,
        reason: `checkpoint ${checkpoint.kb}: the media is already at ${build}.${media.revision}`,
      });
    } else selected.push({ role: 'checkpoint', pkg: checkpoint as FoundPackage });
  }
  const sameMonth: FoundPackage[] = [];
  for (const skip of chain.superseded) {
    const pkg = byIdentity.get(skip.identity)!;
    if (pkg.month !== undefined && target.month !== undefined && pkg.month < target.month) {
      notPinned.push({ file: pkg.file, fileName: pkg.fileName, reason: `${pkg.kb} (built ${pkg.month}) is an older month's cumulative update: never pinned` });
    } else sameMonth.push(pkg);
  }
  if (sameMonth.length > 0) {
    throw new MediaError(`Two cumulative updates for ${month} in ${searched}: ${[target, ...sameMonth].map(describe).join('; ')}`, {
      fix: 'Keep only the one to service with in the month folder (an out-of-band release replaces the Patch Tuesday one), or name the older one in updates.checkpoints if its KB article says it is a checkpoint.',
    });
  }
  const missingCheckpoints = chain.missing
    .filter((k) => media.revision === undefined || media.revision < k.revision)
    .map((k) => k.kb)
    .concat([...wanted].filter((kb) => !packages.some((p) => p.kind === 'lcu' && p.kb.toUpperCase() === kb)));

  const byRole = new Map<LockRole, FoundPackage[]>();
  for (const pkg of packages) {
    if (pkg.kind === 'lcu') continue;
    const role = SINGLE_ROLES[pkg.kind] ?? 'other';
    byRole.set(role, [...(byRole.get(role) ?? []), pkg]);
  }
  for (const [role, found] of byRole) {
    if (role !== 'other' && found.length > 1) {
      throw new MediaError(
        `Two candidates for the ${role} of ${month} (build ${build} ${media.architecture}) in ${searched}: ${found.map(describe).join('; ')}`,
        {
          fix: 'Keep only the one to service with in the month folder; the other is an older or a re-released package.',
        },
      );
    }
    for (const pkg of found) selected.push({ role, pkg });
  }
  return { selected, notPinned, missingCheckpoints: [...new Set(missingCheckpoints)] };
}
