// Services one mounted image (WinRE, an install.wim or a boot.wim index): its operations in the
// plan's order, then DISM's package list checked against what the plan expects, then commit. Any
// failure discards the image. Component cleanup that hits 0x800F0806 (CBS_E_PENDING) in install.wim
// is a warning, as in Microsoft's sample script ("Perform image cleanup. Some Optional Components
// might require the image to be booted, and thus image cleanup may fail. We'll catch and handle as a
// warning", media-dynamic-update.md); every other DISM failure stops the run.
import { copyFile, link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseDismPackages } from '../imaging/dism.ts';
import { dismErrorCode } from '../imaging/dism-errors.ts';
import type { WimInfo } from '../imaging/types.ts';
import { MediaError } from '../util/errors.ts';
import { exists } from '../util/fs.ts';
import { DismFailure } from './execute-dism.ts';
import { WINRE_PATH, type RunState } from './execute-types.ts';
import { describeOperation } from './plan-format.ts';
import type { Operation, PackageRef, PlanTarget } from './plan-types.ts';

/** The path DISM adds: the package itself, or for an LCU, the package in a folder of its own beside the checkpoints this image needs. */
async function packagePath(run: RunState, op: Extract<Operation, { action: 'add-package' }>): Promise<string> {
  if (op.checkpoints.length === 0 && op.package.kind !== 'lcu') return op.package.file;
  // "Only the target cumulative update and checkpoint cumulative updates should be in the -PackagePath folder."
  const dir = path.join(run.runDir, 'packages', `${op.package.kb || 'lcu'}-${op.checkpoints.map((c) => c.kb).join('-') || 'alone'}`);
  await mkdir(dir, { recursive: true });
  for (const file of [op.package.file, ...op.checkpoints.map((c) => c.file)]) {
    const dest = path.join(dir, path.basename(file));
    if (!(await exists(dest))) await link(file, dest).catch(() => copyFile(file, dest));
  }
  return path.join(dir, path.basename(op.package.file));
}

/** The SSU CAB an MSU carries (SSU-<build>-<arch>.cab), taken out with 7-Zip. */
async function ssuPath(run: RunState, op: Extract<Operation, { action: 'add-ssu' }>): Promise<string> {
  if (!op.entry) return op.package.file;
  const dir = path.join(run.runDir, 'ssu');
  await run.o.sevenZip.extract(op.package.file, dir, { paths: [op.entry] });
  return path.join(dir, op.entry);
}

/** Runs one operation in a mounted image; under --continue-on-error a DISM failure is recorded instead. */
async function operation(run: RunState, target: PlanTarget, op: Operation, mountDir: string, winre: string | undefined): Promise<boolean> {
  const label = `${target.title.split(':')[0]}: ${describeOperation(op)}`;
  const { dism } = run;
  run.info(label);
  try {
    switch (op.action) {
      case 'add-ssu':
        await dism.run(dism.commands.addPackage(mountDir, await ssuPath(run, op)), `in ${target.title} adding the servicing stack ${op.ssuIdentity}`, label);
        break;
      case 'add-package':
        await dism.run(
          dism.commands.addPackage(mountDir, await packagePath(run, op)),
          `in ${target.title} adding ${op.package.kb || op.package.identity}`,
          label,
        );
        break;
      case 'cleanup':
        await dism.run(dism.commands.cleanupImage(mountDir, op.resetBase), `in ${target.title} cleaning up components`, label);
        break;
      case 'enable-netfx3':
        await dism.run(dism.commands.enableNetFx3(mountDir, run.o.workspace.media('sources/sxs')), `in ${target.title} enabling .NET Framework 3.5`, label);
        break;
      case 'replace-winre': {
        const dest = path.join(mountDir, ...WINRE_PATH.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        await copyFile(winre!, dest);
        break;
      }
      default:
        break;
    }
    return true;
  } catch (error) {
    if (!(error instanceof DismFailure)) throw error;
    const code = dismErrorCode(error.output, error.toolExitCode);
    if (op.action === 'cleanup' && code === '0x800f0806' && target.target.startsWith('install.wim:')) {
      const message = `${target.title}: component cleanup failed with 0x800F0806 (CBS_E_PENDING: pending operations that need the image booted); servicing goes on without it, as in Microsoft's sample script. The image is larger than it could be.`;
      run.warnings.push(message);
      run.o.reporter.emit({ type: 'warning', step: 'apply-updates', message });
      return true;
    }
    if (!run.o.continueOnError || op.action === 'cleanup') throw error;
    run.failures.push({ target: target.target, operation: describeOperation(op), code, message: error.message });
    run.o.reporter.emit({ type: 'warning', step: 'apply-updates', message: `${error.message} — continuing (--continue-on-error)` });
    return false;
  }
}

/** Checks DISM's package list of a mounted image against what the plan expects there. */
async function checkPackages(run: RunState, target: PlanTarget, mountDir: string, expected: readonly string[]): Promise<void> {
  const installed = parseDismPackages(await run.dism.run(run.dism.commands.getPackages(mountDir), `listing the packages of ${target.title}`));
  const present = new Set(installed.filter((p) => /^(Installed|Install Pending|Staged|Superseded)$/i.test(p.state)).map((p) => p.identity.toLowerCase()));
  const missing = expected.filter((id) => !present.has(id.toLowerCase()));
  if (missing.length > 0) {
    throw new MediaError(
      `${target.title}: DISM reported success, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed in the image`,
      {
        fix: `The update was silently not applied: the image was discarded and the workspace is unchanged. Check the package's build and architecture, and DISM's logs: ${run.dism.logDir}`,
      },
    );
  }
  run.verified.push(`${target.title}: ${expected.length} expected package(s) installed`);
}

/** Services one image: mount, operations in order, package check, unmount (commit); any failure discards it. */
export async function serviceImage(run: RunState, target: PlanTarget, wim: string, index: number, name: string, winre?: string): Promise<PackageRef[]> {
  const mountDir = await run.dism.mount(wim, index, name, target.title);
  const applied: PackageRef[] = [];
  let anyFailed = false;
  try {
    for (const op of target.operations) {
      if (op.action === 'export' || op.action === 'extract-winre') continue;
      const ok = await operation(run, target, op, mountDir, winre);
      anyFailed ||= !ok;
      if (!ok) continue;
      if (op.action === 'add-ssu') applied.push({ ...op.package, identity: op.ssuIdentity, kind: 'ssu' });
      if (op.action === 'add-package') applied.push(...op.checkpoints, op.package);
      if (op.action === 'enable-netfx3') applied.push({ kb: '', identity: 'NetFx3', file: 'sources/sxs', sha256: '', kind: 'other' });
    }
    // After a failure recorded under --continue-on-error, only what was added is expected.
    const added = new Set(applied.map((p) => p.identity));
    await checkPackages(run, target, mountDir, anyFailed ? target.expectPackages.filter((id) => added.has(id)) : target.expectPackages);
  } catch (error) {
    await run.dism.discardAll();
    throw error;
  }
  await run.dism.unmount(mountDir, true, target.title);
  return applied;
}

/** Compares each image's build.UBR with the plan's prediction, naming the image and the update. */
export function verifyBuilds(run: RunState, targets: PlanTarget[], info: WimInfo, prefix: string): void {
  for (const target of targets) {
    const index = Number(target.target.split(':')[1]);
    const image = info.images.find((i) => i.index === index);
    const lcu = target.applies.find((p) => p.kind === 'lcu');
    if (run.failures.some((f) => f.target === target.target)) {
      run.o.reporter.emit({
        type: 'warning',
        step: 'apply-updates',
        message: `${target.title}: not verified against the plan (failures were recorded under --continue-on-error)`,
      });
      continue;
    }
    if (!image || image.version !== target.predicted) {
      throw new MediaError(
        `${target.title}: after servicing it is ${image?.version ?? 'missing'}, but the plan predicted ${target.predicted}${lcu ? ` (from ${lcu.kb})` : ''}`,
        {
          fix: `The update was not applied as planned; nothing was replaced in the workspace. DISM's logs: ${run.dism.logDir}`,
        },
      );
    }
    run.verified.push(`${prefix} index ${index}: ${image.version} as planned`);
  }
}
