// Executes a servicing plan. Image servicing goes through DISM (Windows); taking Winre.wim and the
// setup files out of the images and putting WinRE back goes through wimlib where it is installed
// (and DISM otherwise: mount, copy, discard or commit), and the Setup DU is expanded with 7-Zip,
// so those parts run (and are tested) on Linux too.
//
// Nothing in media/ changes here: images are serviced in working copies under the scratch folder,
// exported into the workspace's temporary folder, verified, and handed back as renames that the
// step runner commits through the workspace journal. A failure discards the mounted image.
import { copyFile, link, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DismCommands, DismEngine, parseDismPackages, parseDismProgress, parseMountedImages } from '../imaging/dism.ts';
import { decodeDismError, dismErrorCode, dismErrorText } from '../imaging/dism-errors.ts';
import type { SevenZip } from '../imaging/sevenzip.ts';
import type { WimInfo } from '../imaging/types.ts';
import type { WimlibEngine } from '../imaging/wimlib.ts';
import type { Workspace } from '../media/workspace.ts';
import { MediaError, ToolError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { runTool } from '../util/exec.ts';
import { faultPoint } from '../util/fault.ts';
import { exists, hashFile, listTree } from '../util/fs.ts';
import { safeExtract } from '../util/safe-extract.ts';
import { describeOperation, type AppliedUpdate, type Operation, type PackageRef, type PlanTarget, type ServicingPlan } from './plan.ts';

export interface ExecuteOptions {
  workspace: Workspace;
  reporter: Reporter;
  sevenZip: SevenZip;
  /** wimlib for the file work on WIMs (extract, replace, read); without it DISM does that too. */
  wimlib?: WimlibEngine;
  /** The DISM binary; needed when the plan services images, or when there is no wimlib. */
  dismFile?: string;
  /** boot.wim's bootable index as the manifest records it (DISM does not report it). */
  bootIndex?: number;
  /** The media's files (manifest paths; the runner has checked media/ against the manifest). */
  mediaFiles: readonly string[];
  /** Mount folders, working copies and DISM's scratch go here (a local NTFS disk on Windows). */
  scratchRoot: string;
  continueOnError: boolean;
}

export interface Failure {
  target: string;
  operation: string;
  code?: string;
  message: string;
}

export interface ExecuteResult {
  renames: { from: string; to: string }[];
  /** Media-relative paths that the renames replace or add. */
  changedPaths: string[];
  /** Temporary folders to remove once the change is committed. */
  cleanup: string[];
  installInfo?: WimInfo;
  bootInfo?: WimInfo;
  applied: AppliedUpdate[];
  failures: Failure[];
  verified: string[];
}

/** A DISM failure with its code decoded; the image it happened in was discarded. */
export class DismFailure extends ToolError {}

const WINRE_PATH = 'Windows/System32/Recovery/Winre.wim';

/** File work on WIMs besides servicing: wimlib where installed, DISM otherwise. */
interface WimFiles {
  readonly name: 'wimlib' | 'dism';
  info(wim: string): Promise<WimInfo>;
  /** Copies files of one image ('/'-separated paths, any case) into destDir, flat. */
  extractFiles(wim: string, index: number, paths: readonly string[], destDir: string): Promise<void>;
  replaceFile(wim: string, index: number, source: string, pathInImage: string): Promise<void>;
  exportImages(source: string, indexes: number[], dest: string, bootIndex: number): Promise<void>;
}

/** A path inside a mounted image, found case-insensitively, as Windows would. */
async function findInMount(root: string, pathInImage: string): Promise<string | undefined> {
  let current = root;
  for (const part of pathInImage.split('/').filter(Boolean)) {
    const names = await readdir(current).catch(() => [] as string[]);
    const match = names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (!match) return undefined;
    current = path.join(current, match);
  }
  return current;
}

export class ServicingRun {
  private readonly o: ExecuteOptions;
  private readonly dism: DismCommands;
  private readonly runDir: string;
  private readonly logDir: string;
  private readonly mounted = new Set<string>();
  private readonly files: WimFiles;
  private mounts = 0;
  readonly failures: Failure[] = [];
  readonly verified: string[] = [];

  constructor(options: ExecuteOptions) {
    this.o = options;
    const run = `run-${Date.now()}-${process.pid}`;
    this.runDir = path.join(options.scratchRoot, run);
    // DISM's logs outlive the run folder: they are what a failure's message points at (and what CI archives).
    this.logDir = path.join(options.workspace.logsDir, `dism-${run}`);
    this.dism = new DismCommands({ logDir: this.logDir, scratchDir: path.join(this.runDir, 'scratch') });
    this.files = options.wimlib ? this.wimlibFiles(options.wimlib) : this.dismFiles();
  }

  private wimlibFiles(wimlib: WimlibEngine): WimFiles {
    const logDir = this.o.workspace.logsDir;
    return {
      name: 'wimlib',
      info: (wim) => wimlib.info(wim),
      extractFiles: (wim, index, paths, destDir) => wimlib.extractFiles(wim, index, paths, destDir, { logDir }),
      replaceFile: (wim, index, source, pathInImage) => wimlib.replaceFile(wim, index, source, pathInImage, { logDir }),
      exportImages: (source, indexes, dest) => wimlib.exportImages(source, indexes, dest, { logDir }),
    };
  }

  /** The same through DISM: a read-only mount to take files out, a mount and commit to put one in. */
  private dismFiles(): WimFiles {
    return {
      name: 'dism',
      info: (wim) => new DismEngine(this.o.dismFile, this.logDir).info(wim),
      extractFiles: async (wim, index, paths, destDir) => {
        const dir = await this.mount(wim, index, `read-${++this.mounts}`, `${path.basename(wim)} index ${index}`, true);
        try {
          await mkdir(destDir, { recursive: true });
          for (const file of paths) {
            const found = await findInMount(dir, file);
            if (found) await copyFile(found, path.join(destDir, path.basename(found)));
          }
        } finally {
          await this.unmount(dir, false, `${path.basename(wim)} index ${index}`);
        }
      },
      replaceFile: async (wim, index, source, pathInImage) => {
        const label = `${path.basename(wim)} index ${index}`;
        const dir = await this.mount(wim, index, `write-${++this.mounts}`, label);
        try {
          const dest = (await findInMount(dir, pathInImage)) ?? path.join(dir, ...pathInImage.split('/'));
          await mkdir(path.dirname(dest), { recursive: true });
          await copyFile(source, dest);
        } catch (error) {
          await this.discardAll();
          throw error;
        }
        await this.unmount(dir, true, label);
      },
      exportImages: (source, indexes, dest, bootIndex) => this.exportAll(source, indexes, dest, bootIndex, path.basename(source)),
    };
  }

  private info(message: string): void {
    this.o.reporter.emit({ type: 'info', step: 'apply-updates', message });
  }

  /** Runs DISM; a failure becomes a DismFailure that names the image, the operation and the fix. */
  private async runDism(args: string[], what: string, phase?: string): Promise<string> {
    if (!this.o.dismFile)
      throw new MediaError('DISM is needed for this plan but is not available here', {
        fix: 'Run apply-updates on a Windows runner (see README: Windows runner set-up).',
      });
    try {
      const { stdout } = await runTool(
        { tool: 'DISM', file: this.o.dismFile, args },
        {
          logDir: this.logDir,
          onLine: phase
            ? (line) => {
                const percent = parseDismProgress(line);
                if (percent !== undefined) this.o.reporter.emit({ type: 'progress', step: 'apply-updates', phase, done: percent, total: 100, unit: 'percent' });
              }
            : undefined,
        },
      );
      return stdout;
    } catch (error) {
      if (!(error instanceof ToolError) || error.toolExitCode === undefined) throw error;
      const code = dismErrorCode(error.output, error.toolExitCode);
      const decoded = decodeDismError(code);
      const said = dismErrorText(error.output);
      throw new DismFailure(
        `DISM failed ${what}: ${code ?? `exit code ${error.toolExitCode}`}${decoded ? ` (${decoded.meaning})` : said ? ` (${said})` : ''}`,
        {
          tool: 'DISM',
          exitCode: error.toolExitCode,
          logPath: error.logPath,
          output: error.output,
          fix: `${decoded?.fix ?? "Read DISM's log for the cause."} The image was discarded; the workspace is unchanged.${error.logPath ? ` DISM's output: ${error.logPath}` : ''}`,
          cause: error,
        },
      );
    }
  }

  /** Discards osmedia's own stale mounts (an interrupted earlier run) and DISM's orphaned mount records. */
  async cleanStaleMounts(): Promise<void> {
    const mounts = parseMountedImages(await this.runDism(this.dism.getMountedWimInfo(), 'listing mounted images'));
    const root = path.resolve(this.o.scratchRoot).toLowerCase() + path.sep;
    const isOurs = (m: { mountDir: string }) => path.resolve(m.mountDir).toLowerCase().startsWith(root);
    const ours = mounts.filter(isOurs);
    for (const mount of mounts.filter((m) => !isOurs(m))) {
      this.o.reporter.emit({
        type: 'warning',
        step: 'apply-updates',
        message: `another tool has ${mount.imageFile} mounted at ${mount.mountDir} (status ${mount.status}); left alone`,
      });
    }
    for (const mount of ours) {
      this.info(`discarding a stale mount of an interrupted run: ${mount.mountDir} (${mount.imageFile} index ${mount.index}, status ${mount.status})`);
      // A mount whose WIM is gone may refuse a discard; /Cleanup-Mountpoints below removes what is left of it.
      await this.runDism(this.dism.unmount(mount.mountDir, false), `discarding the stale mount ${mount.mountDir}`).catch((error: unknown) => {
        this.o.reporter.emit({ type: 'warning', step: 'apply-updates', message: `${(error as Error).message}; cleaning up mount points instead` });
      });
    }
    await this.runDism(this.dism.cleanupMountpoints(), 'cleaning up mount points');
    if (ours.length > 0) {
      const left = parseMountedImages(await this.runDism(this.dism.getMountedWimInfo(), 'listing mounted images')).filter(isOurs);
      if (left.length > 0) {
        throw new MediaError(`Stale mounts of an interrupted run could not be removed: ${left.map((m) => `${m.mountDir} (${m.status})`).join(', ')}`, {
          fix: 'Close programs with files open under the scratch folder (Explorer, antivirus), or restart the runner, then run again. Nothing was changed.',
        });
      }
    }
  }

  /** Removes working folders of earlier runs (after their mounts were discarded). */
  private async removeOldRuns(): Promise<void> {
    if (!(await exists(this.o.scratchRoot))) return;
    for (const entry of await readdir(this.o.scratchRoot)) {
      if (entry.startsWith('run-')) await rm(path.join(this.o.scratchRoot, entry), { recursive: true, force: true });
    }
  }

  private async mount(wim: string, index: number, name: string, label: string, readOnly = false): Promise<string> {
    const dir = path.join(this.runDir, 'mount', name);
    await mkdir(dir, { recursive: true });
    await this.runDism(this.dism.mount(wim, index, dir, readOnly), `mounting ${label}`, `${label}: mounting`);
    this.mounted.add(dir);
    return dir;
  }

  private async unmount(dir: string, commit: boolean, label: string): Promise<void> {
    try {
      await this.runDism(this.dism.unmount(dir, commit), `${commit ? 'saving' : 'discarding'} ${label}`, `${label}: ${commit ? 'saving' : 'discarding'}`);
      this.mounted.delete(dir);
    } catch (error) {
      if (commit) await this.discardAll();
      throw error;
    }
  }

  /** After a failure: discard whatever is still mounted and clear DISM's records. Never throws. */
  async discardAll(): Promise<void> {
    for (const dir of [...this.mounted]) {
      await this.runDism(this.dism.unmount(dir, false), `discarding ${dir}`).catch(() => {});
      this.mounted.delete(dir);
    }
    await this.runDism(this.dism.cleanupMountpoints(), 'cleaning up mount points').catch(() => {});
  }

  /** The path DISM adds: the package itself, or for an LCU, the package in a folder of its own beside its checkpoints. */
  private async packagePath(op: Extract<Operation, { action: 'add-package' }>): Promise<string> {
    if (op.checkpoints.length === 0 && op.package.kind !== 'lcu') return op.package.file;
    // DISM finds checkpoint CUs beside the target in the same folder; alone there, it cannot pick up strays.
    const dir = path.join(this.runDir, 'packages', op.package.kb || 'lcu');
    await mkdir(dir, { recursive: true });
    for (const file of [op.package.file, ...op.checkpoints.map((c) => c.file)]) {
      const dest = path.join(dir, path.basename(file));
      if (!(await exists(dest))) await link(file, dest).catch(() => copyFile(file, dest));
    }
    return path.join(dir, path.basename(op.package.file));
  }

  /** The SSU CAB an MSU carries (SSU-<build>-<arch>.cab), taken out with 7-Zip. */
  private async ssuPath(op: Extract<Operation, { action: 'add-ssu' }>): Promise<string> {
    if (!op.entry) return op.package.file;
    const dir = path.join(this.runDir, 'ssu');
    await this.o.sevenZip.extract(op.package.file, dir, { paths: [op.entry] });
    return path.join(dir, op.entry);
  }

  /** Runs one operation in a mounted image; under --continue-on-error a DISM failure is recorded instead. */
  private async operation(target: PlanTarget, op: Operation, mountDir: string, winre: string | undefined): Promise<boolean> {
    const label = `${target.title.split(':')[0]}: ${describeOperation(op)}`;
    this.info(label);
    try {
      switch (op.action) {
        case 'add-ssu':
          await this.runDism(this.dism.addPackage(mountDir, await this.ssuPath(op)), `in ${target.title} adding the servicing stack ${op.ssuIdentity}`, label);
          break;
        case 'add-package':
          await this.runDism(
            this.dism.addPackage(mountDir, await this.packagePath(op)),
            `in ${target.title} adding ${op.package.kb || op.package.identity}`,
            label,
          );
          break;
        case 'cleanup':
          await this.runDism(this.dism.cleanupImage(mountDir, op.resetBase), `in ${target.title} cleaning up components`, label);
          break;
        case 'enable-netfx3':
          await this.runDism(this.dism.enableNetFx3(mountDir, this.o.workspace.media('sources/sxs')), `in ${target.title} enabling .NET Framework 3.5`, label);
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
      if (!(error instanceof DismFailure) || !this.o.continueOnError || op.action === 'cleanup') throw error;
      const code = dismErrorCode(error.output, error.toolExitCode);
      this.failures.push({ target: target.target, operation: describeOperation(op), code, message: error.message });
      this.o.reporter.emit({ type: 'warning', step: 'apply-updates', message: `${error.message} — continuing (--continue-on-error)` });
      return false;
    }
  }

  /** Checks DISM's package list of a mounted image against what the plan expects there. */
  private async checkPackages(target: PlanTarget, mountDir: string, expected: readonly string[]): Promise<void> {
    const installed = parseDismPackages(await this.runDism(this.dism.getPackages(mountDir), `listing the packages of ${target.title}`));
    const present = new Set(installed.filter((p) => /^(Installed|Install Pending|Staged|Superseded)$/i.test(p.state)).map((p) => p.identity.toLowerCase()));
    const missing = expected.filter((id) => !present.has(id.toLowerCase()));
    if (missing.length > 0) {
      throw new MediaError(
        `${target.title}: DISM reported success, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed in the image`,
        {
          fix: `The update was silently not applied: the image was discarded and the workspace is unchanged. Check the package's build and architecture, and DISM's logs: ${this.logDir}`,
        },
      );
    }
    this.verified.push(`${target.title}: ${expected.length} expected package(s) installed`);
  }

  /** Services one image: mount, operations in order, package check, unmount (commit); any failure discards it. */
  private async serviceImage(target: PlanTarget, wim: string, index: number, name: string, winre?: string): Promise<PackageRef[]> {
    const mountDir = await this.mount(wim, index, name, target.title);
    const applied: PackageRef[] = [];
    let anyFailed = false;
    try {
      for (const op of target.operations) {
        if (op.action === 'export' || op.action === 'extract-winre') continue;
        const ok = await this.operation(target, op, mountDir, winre);
        anyFailed ||= !ok;
        if (!ok) continue;
        if (op.action === 'add-ssu') applied.push({ ...op.package, identity: op.ssuIdentity, kind: 'ssu' });
        if (op.action === 'add-package') applied.push(op.package, ...op.checkpoints);
        if (op.action === 'enable-netfx3') applied.push({ kb: '', identity: 'NetFx3', file: 'sources/sxs', sha256: '', kind: 'other' });
      }
      // After a failure recorded under --continue-on-error, only what was added is expected.
      const added = new Set(applied.map((p) => p.identity));
      await this.checkPackages(target, mountDir, anyFailed ? target.expectPackages.filter((id) => added.has(id)) : target.expectPackages);
    } catch (error) {
      await this.discardAll();
      throw error;
    }
    await this.unmount(mountDir, true, target.title);
    return applied;
  }

  private async exportAll(source: string, indexes: number[], dest: string, bootIndex: number, label: string): Promise<void> {
    for (const index of indexes) {
      const args = this.dism.exportImage(source, index, dest);
      if (index === bootIndex) args.splice(5, 0, '/Bootable');
      await this.runDism(args, `exporting ${label} index ${index}`, `${label}: exporting index ${index}`);
    }
  }

  /** Compares each image's build.UBR with the plan's prediction, naming the image and the update. */
  private verifyBuilds(targets: PlanTarget[], info: WimInfo, prefix: string): void {
    for (const target of targets) {
      const index = Number(target.target.split(':')[1]);
      const image = info.images.find((i) => i.index === index);
      const lcu = target.applies.find((p) => p.kind === 'lcu');
      if (this.failures.some((f) => f.target === target.target)) {
        this.o.reporter.emit({
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
            fix: `The update was not applied as planned; nothing was replaced in the workspace. DISM's logs: ${this.logDir}`,
          },
        );
      }
      this.verified.push(`${prefix} index ${index}: ${image.version} as planned`);
    }
  }

  /** Runs the plan. Returns the verified outputs; media/ is untouched. */
  async execute(plan: ServicingPlan): Promise<ExecuteResult> {
    const { workspace } = this.o;
    const files = this.files;
    const active = plan.targets.filter((t) => t.operations.length > 0);
    const applied: AppliedUpdate[] = [];
    const renames: { from: string; to: string }[] = [];
    const changedPaths: string[] = [];
    const cleanup: string[] = [];
    const record = (target: PlanTarget, refs: PackageRef[]) =>
      applied.push(
        ...refs.map((r) => ({ target: target.target, kind: r.kind, kb: r.kb, identity: r.identity, file: path.basename(r.file), sha256: r.sha256 })),
      );
    if (plan.needsDism) await this.cleanStaleMounts();
    // Working folders of a killed run (their mounts, if any, were just discarded).
    await this.removeOldRuns();
    await mkdir(this.runDir, { recursive: true });
    if (plan.needsDism || files.name === 'dism') await mkdir(this.logDir, { recursive: true }); // DISM writes /LogPath files into it
    try {
      const installWim = workspace.media('sources/install.wim');
      const bootWim = workspace.media('sources/boot.wim');

      // WinRE: once, reused for every edition.
      let winre: string | undefined;
      const winreTarget = active.find((t) => t.target === 'winre');
      if (winreTarget) {
        const from = winreTarget.operations.find((o) => o.action === 'extract-winre') as Extract<Operation, { action: 'extract-winre' }>;
        const dir = path.join(this.runDir, 'winre');
        await files.extractFiles(installWim, from.fromIndex, [WINRE_PATH], dir);
        const original = path.join(dir, (await readdir(dir))[0]!);
        const refs = await this.serviceImage(winreTarget, original, 1, 'winre', undefined);
        winre = path.join(this.runDir, 'winre-serviced.wim');
        await this.exportAll(original, [1], winre, 0, 'WinRE');
        const info = await files.info(winre);
        if (info.images[0]?.version !== winreTarget.predicted && !this.failures.some((f) => f.target === 'winre')) {
          throw new MediaError(
            `WinRE: after servicing it is ${info.images[0]?.version}, but the plan predicted ${winreTarget.predicted} (from the Safe OS DU)`,
            { fix: `The Safe OS DU was not applied as planned; nothing was replaced. DISM's logs: ${this.logDir}` },
          );
        }
        this.verified.push(`WinRE: ${info.images[0]?.version} as planned`);
        record(winreTarget, refs);
      }

      let installInfo: WimInfo | undefined;
      let bootInfo: WimInfo | undefined;
      for (const [kind, source] of [
        ['install.wim', installWim],
        ['boot.wim', bootWim],
      ] as const) {
        const targets = active.filter((t) => t.target.startsWith(`${kind}:`));
        if (targets.length === 0) continue;
        const working = path.join(this.runDir, kind);
        await copyFile(source, working);
        const before = await files.info(working);
        const bootIndex = kind === 'boot.wim' ? before.bootIndex || (this.o.bootIndex ?? 0) : 0;
        for (const target of targets) {
          const index = Number(target.target.split(':')[1]);
          if (target.engine === 'cross-platform') {
            // Only Winre.wim changes: replaced in place (with wimlib, no servicing mount).
            this.info(`${target.title}: ${describeOperation({ action: 'replace-winre' })} (${files.name})`);
            await files.replaceFile(working, index, winre!, WINRE_PATH);
          } else {
            record(target, await this.serviceImage(target, working, index, `${kind.split('.')[0]}-${index}`, winre));
          }
        }
        const dest = await workspace.tempPath(kind);
        const indexes = before.images.map((i) => i.index);
        if (targets.every((t) => t.engine === 'cross-platform')) await files.exportImages(working, indexes, dest, bootIndex);
        else await this.exportAll(working, indexes, dest, bootIndex, kind);
        const info = await files.info(dest);
        this.verifyBuilds(
          targets.filter((t) => t.engine === 'dism'),
          info,
          kind,
        );
        if (kind === 'install.wim') installInfo = info;
        else bootInfo = info;
        renames.push({ from: dest, to: source });
        changedPaths.push(`sources/${kind}`);
      }

      const media = active.find((t) => t.target === 'media');
      if (media) {
        const staged = await this.stageMedia(media, bootInfo ? renames.find((r) => r.to === bootWim)!.from : bootWim);
        renames.push(...staged.renames);
        changedPaths.push(...staged.paths);
        cleanup.push(...staged.cleanup);
        record(media, media.applies);
      }
      faultPoint('updates-staged');
      return { renames, changedPaths, cleanup, installInfo, bootInfo, applied, failures: this.failures, verified: this.verified };
    } catch (error) {
      for (const file of [...renames.map((r) => r.from), ...cleanup]) await rm(file, { recursive: true, force: true });
      throw error;
    } finally {
      if (this.mounted.size === 0) await rm(this.runDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * The media files: the Setup DU expanded into sources/, then setup.exe, setuphost.exe and the
   * boot managers from boot.wim index 2 over them (Microsoft's order). Verified: sources/setup.exe
   * equals the one in boot.wim index 2.
   */
  private async stageMedia(target: PlanTarget, bootWim: string): Promise<{ renames: { from: string; to: string }[]; paths: string[]; cleanup: string[] }> {
    const { workspace, sevenZip } = this.o;
    const files = this.files;
    // Extracted into the workspace's temporary folder (the media's disk), so most files are renamed into place, not copied.
    const staged = new Map<string, string>(); // media path → staged file
    const cleanup: string[] = [];
    for (const op of target.operations) {
      if (op.action === 'expand-setup-du') {
        this.info(`media: ${describeOperation(op)}`);
        const dir = await workspace.tempPath(`setupdu-${op.package.kb || 'x'}`);
        cleanup.push(dir);
        await safeExtract(sevenZip, op.package.file, dir, { logDir: workspace.logsDir }); // names, size, links judged first (issue 16)
        for (const file of await listTree(dir)) staged.set(`sources/${file.path}`, path.join(dir, ...file.path.split('/')));
      }
      if (op.action === 'copy-from-boot') {
        this.info(`media: ${describeOperation(op)}`);
        const dir = await workspace.tempPath('from-boot');
        cleanup.push(dir);
        await files.extractFiles(
          bootWim,
          2,
          op.files.map((f) => f.from),
          dir,
        );
        const extracted = new Map((await readdir(dir)).map((name) => [name.toLowerCase(), path.join(dir, name)]));
        for (const { from, to } of op.files) {
          const file = extracted.get(from.split('/').at(-1)!.toLowerCase());
          if (!file) throw new MediaError(`boot.wim index 2 has no ${from}`, { fix: 'The boot.wim is not Windows Setup media; re-import the media.' });
          for (const dest of to) staged.set(dest, file);
        }
      }
    }
    // Media paths keep the case the media already uses (sources/SetupPlatform.dll vs setupplatform.dll).
    const existing = new Map(this.o.mediaFiles.map((p) => [p.toLowerCase(), p]));
    const renames: { from: string; to: string }[] = [];
    const paths: string[] = [];
    const used = new Set<string>();
    for (const [mediaPath, source] of staged) {
      const actual = existing.get(mediaPath.toLowerCase()) ?? mediaPath;
      // A file with several destinations (bootmgfw.efi) is renamed to the first and copied for the others.
      let from = source;
      if (used.has(source)) {
        from = await workspace.tempPath(path.basename(actual));
        await copyFile(source, from);
      }
      used.add(source);
      renames.push({ from, to: workspace.media(actual) });
      paths.push(actual);
    }
    const setup = target.operations.some((o) => o.action === 'copy-from-boot')
      ? renames.find((r) => r.to === workspace.media(existing.get('sources/setup.exe') ?? 'sources/setup.exe'))
      : undefined;
    if (setup) {
      const check = path.join(this.runDir, 'check');
      await files.extractFiles(bootWim, 2, ['sources/setup.exe'], check);
      const [name] = await readdir(check);
      if ((await hashFile(setup.from)) !== (await hashFile(path.join(check, name!)))) {
        throw new MediaError('sources/setup.exe does not equal the one in boot.wim index 2', {
          fix: 'Nothing was replaced; run again. If it persists, re-import the media.',
        });
      }
      this.verified.push('sources/setup.exe equals boot.wim index 2');
    }
    return { renames, paths, cleanup };
  }
}
