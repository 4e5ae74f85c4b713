// The image phases of a run, in Microsoft's order: WinRE once (taken out of the first image,
// serviced, exported, its version read before and after), then install.wim and boot.wim (each in a
// working copy: every planned index serviced, WinRE put back, the whole WIM exported and verified).
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { WimInfo } from '../imaging/types.ts';
import { MediaError } from '../util/errors.ts';
import { serviceImage, verifyBuilds } from './execute-image.ts';
import { WINRE_PATH, type RunState } from './execute-types.ts';
import { describeOperation } from './plan-format.ts';
import type { Operation, PackageRef, PlanTarget } from './plan-types.ts';

export type Record = (target: PlanTarget, refs: PackageRef[]) => void;

/** WinRE: once, reused for every edition. Returns the serviced Winre.wim and its versions. */
export async function serviceWinre(run: RunState, target: PlanTarget, installWim: string, record: Record) {
  const from = target.operations.find((o) => o.action === 'extract-winre') as Extract<Operation, { action: 'extract-winre' }>;
  const dir = path.join(run.runDir, 'winre');
  await run.files.extractFiles(installWim, from.fromIndex, [WINRE_PATH], dir);
  const original = path.join(dir, (await readdir(dir))[0]!);
  const before = (await run.files.info(original)).images[0]?.version ?? '';
  run.info(`WinRE (from install.wim index ${from.fromIndex}) is ${before || 'of no version'} before servicing`);
  const refs = await serviceImage(run, target, original, 1, 'winre', undefined);
  const winre = path.join(run.runDir, 'winre-serviced.wim');
  await run.dism.exportAll(original, [1], winre, 0, 'WinRE');
  const after = (await run.files.info(winre)).images[0]?.version ?? '';
  if (after !== target.predicted && !run.failures.some((f) => f.target === 'winre')) {
    throw new MediaError(`WinRE: after servicing it is ${after}, but the plan predicted ${target.predicted} (from the Safe OS DU)`, {
      fix: `The Safe OS DU was not applied as planned; nothing was replaced. DISM's logs: ${run.dism.logDir}`,
    });
  }
  run.verified.push(`WinRE: ${after} as planned (was ${before})`);
  record(target, refs);
  return { winre, versions: { from: `install.wim:${from.fromIndex}`, before, after } };
}

/** Services the planned indexes of one WIM in a working copy and exports it whole into the workspace's temporary folder. */
export async function serviceWim(
  run: RunState,
  kind: 'install.wim' | 'boot.wim',
  source: string,
  targets: PlanTarget[],
  winre: string | undefined,
  record: Record,
): Promise<{ dest: string; info: WimInfo }> {
  const working = path.join(run.runDir, kind);
  await copyFile(source, working);
  const before = await run.files.info(working);
  const bootIndex = kind === 'boot.wim' ? before.bootIndex || (run.o.bootIndex ?? 0) : 0;
  for (const target of targets) {
    const index = Number(target.target.split(':')[1]);
    if (target.engine === 'cross-platform') {
      // Only Winre.wim changes: replaced in place (with wimlib, no servicing mount).
      run.info(`${target.title}: ${describeOperation({ action: 'replace-winre' })} (${run.files.name})`);
      await run.files.replaceFile(working, index, winre!, WINRE_PATH);
    } else {
      record(target, await serviceImage(run, target, working, index, `${kind.split('.')[0]}-${index}`, winre));
    }
  }
  const dest = await run.o.workspace.tempPath(kind);
  const indexes = before.images.map((i) => i.index);
  if (targets.every((t) => t.engine === 'cross-platform')) await run.files.exportImages(working, indexes, dest, bootIndex);
  else await run.dism.exportAll(working, indexes, dest, bootIndex, kind);
  const info = await run.files.info(dest);
  verifyBuilds(
    run,
    targets.filter((t) => t.engine === 'dism'),
    info,
    kind,
  );
  return { dest, info };
}
