// Executes a servicing plan. Image servicing goes through DISM (Windows); taking Winre.wim and the
// setup files out of the images and putting WinRE back goes through wimlib where it is installed
// (and DISM otherwise), and the Setup DU is expanded with 7-Zip, so those parts run (and are
// tested) on Linux too. One module per phase: WinRE, install.wim and boot.wim (execute-phases.ts,
// execute-image.ts), the media (execute-media.ts); DISM itself in execute-dism.ts.
//
// Nothing in media/ changes here: images are serviced in working copies under the scratch folder,
// exported into the workspace's temporary folder, verified, and handed back as renames that the
// step runner commits through the workspace journal. A failure discards the mounted image.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { WimInfo } from '../imaging/types.ts';
import { faultPoint } from '../util/fault.ts';
import { DismSession } from './execute-dism.ts';
import { dismFiles, wimlibFiles } from './execute-files.ts';
import { stageMedia } from './execute-media.ts';
import { serviceWim, serviceWinre, type Record } from './execute-phases.ts';
import type { ExecuteOptions, ExecuteResult, Failure, RunState, WimFiles } from './execute-types.ts';
import type { AppliedUpdate, ServicingPlan } from './plan-types.ts';

export { DismFailure } from './execute-dism.ts';
export type { ExecuteOptions, ExecuteResult, Failure } from './execute-types.ts';

export class ServicingRun implements RunState {
  readonly o: ExecuteOptions;
  readonly dism: DismSession;
  readonly files: WimFiles;
  readonly runDir: string;
  readonly failures: Failure[] = [];
  readonly verified: string[] = [];
  readonly bootNotes: string[] = [];
  readonly warnings: string[] = [];

  constructor(options: ExecuteOptions) {
    this.o = options;
    const run = `run-${Date.now()}-${process.pid}`;
    this.runDir = path.join(options.scratchRoot, run);
    // DISM's logs outlive the run folder: they are what a failure's message points at (and what CI archives).
    this.dism = new DismSession(options, this.runDir, path.join(options.workspace.logsDir, `dism-${run}`));
    this.files = options.wimlib ? wimlibFiles(options.wimlib, options.workspace.logsDir) : dismFiles(this.dism, options.dismFile);
  }

  info(message: string): void {
    this.o.reporter.emit({ type: 'info', step: 'apply-updates', message });
  }

  /** Runs the plan. Returns the verified outputs; media/ is untouched. */
  async execute(plan: ServicingPlan): Promise<ExecuteResult> {
    const { workspace } = this.o;
    const active = plan.targets.filter((t) => t.operations.length > 0);
    const applied: AppliedUpdate[] = [];
    const renames: { from: string; to: string }[] = [];
    const changedPaths: string[] = [];
    const cleanup: string[] = [];
    const record: Record = (target, refs) =>
      applied.push(
        ...refs.map((r) => ({ target: target.target, kind: r.kind, kb: r.kb, identity: r.identity, file: path.basename(r.file), sha256: r.sha256 })),
      );
    if (plan.needsDism) await this.dism.cleanStaleMounts();
    // Working folders of a killed run (their mounts, if any, were just discarded).
    await this.dism.removeOldRuns();
    await mkdir(this.runDir, { recursive: true });
    if (plan.needsDism || this.files.name === 'dism') await mkdir(this.dism.logDir, { recursive: true }); // DISM writes /LogPath files into it
    try {
      const installWim = workspace.media('sources/install.wim');
      const bootWim = workspace.media('sources/boot.wim');
      const winreTarget = active.find((t) => t.target === 'winre');
      const winre = winreTarget ? await serviceWinre(this, winreTarget, installWim, record) : undefined;

      let installInfo: WimInfo | undefined;
      let bootInfo: WimInfo | undefined;
      for (const [kind, source] of [
        ['install.wim', installWim],
        ['boot.wim', bootWim],
      ] as const) {
        const targets = active.filter((t) => t.target.startsWith(`${kind}:`));
        if (targets.length === 0) continue;
        const { dest, info } = await serviceWim(this, kind, source, targets, winre?.winre, record);
        if (kind === 'install.wim') installInfo = info;
        else bootInfo = info;
        renames.push({ from: dest, to: source });
        changedPaths.push(`sources/${kind}`);
      }

      const media = active.find((t) => t.target === 'media');
      if (media) {
        const staged = await stageMedia(this, media, bootInfo ? renames.find((r) => r.to === bootWim)!.from : bootWim);
        renames.push(...staged.renames);
        changedPaths.push(...staged.paths);
        cleanup.push(...staged.cleanup);
        record(media, media.applies);
      }
      faultPoint('updates-staged');
      return {
        renames,
        changedPaths,
        cleanup,
        installInfo,
        bootInfo,
        applied,
        failures: this.failures,
        verified: this.verified,
        bootNotes: this.bootNotes,
        warnings: this.warnings,
        winre: winre?.versions,
      };
    } catch (error) {
      for (const file of [...renames.map((r) => r.from), ...cleanup]) await rm(file, { recursive: true, force: true });
      throw error;
    } finally {
      if (this.dism.mountedCount === 0) await rm(this.runDir, { recursive: true, force: true }).catch(() => {});
    }
  }
}
