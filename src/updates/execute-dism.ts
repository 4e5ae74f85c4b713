// One run's DISM session: every DISM call goes through runDism, which turns a failure into a
// DismFailure quoting DISM's own error line and log path (the console format of
// ../shared/reference/dism-output: "Error: 0x800f081e", its sentence, "The DISM log file can be found
// at …"); mounts are tracked so that any failure discards them.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DismCommands, parseDismProgress, parseMountedImages } from '../imaging/dism.ts';
import { decodeDismError, dismErrorCode, dismErrorText } from '../imaging/dism-errors.ts';
import { MediaError, ToolError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { runTool } from '../util/exec.ts';
import { exists } from '../util/fs.ts';

/** A DISM failure with its code decoded; the image it happened in was discarded. */
export class DismFailure extends ToolError {}

/** DISM's own words: its "Error: …" line with the sentence after it, and the log file it names. */
export function dismSaid(output: string): { error?: string; log?: string } {
  const code = [...output.matchAll(/^\s*Error:\s*(\S+)\s*$/gm)].at(-1)?.[1];
  const text = dismErrorText(output);
  const log = /The DISM log file can be found at\s*(\S.*?)\s*$/m.exec(output)?.[1];
  return { error: code ? `Error: ${code}${text ? ` ${text}` : ''}` : undefined, log: log || undefined };
}

export class DismSession {
  readonly commands: DismCommands;
  private readonly mounted = new Set<string>();
  private mounts = 0;

  private readonly o: { dismFile?: string; reporter: Reporter; scratchRoot: string };
  readonly runDir: string;
  readonly logDir: string;

  constructor(o: { dismFile?: string; reporter: Reporter; scratchRoot: string }, runDir: string, logDir: string) {
    this.o = o;
    this.runDir = runDir;
    this.logDir = logDir;
    this.commands = new DismCommands({ logDir, scratchDir: path.join(runDir, 'scratch') });
  }

  get mountedCount(): number {
    return this.mounted.size;
  }

  nextMountName(kind: string): string {
    return `${kind}-${++this.mounts}`;
  }

  /** Runs DISM; a failure becomes a DismFailure that names the image, the operation, DISM's words and the fix. */
  async run(args: string[], what: string, phase?: string): Promise<string> {
    if (!this.o.dismFile)
      throw new MediaError('DISM is needed for this plan but is not available here', {
        fix: 'Run apply-updates on a Windows runner (see README: Windows runner set-up).',
      });
    try {
      const onLine = phase
        ? (line: string) => {
            const percent = parseDismProgress(line);
            if (percent !== undefined) this.o.reporter.emit({ type: 'progress', step: 'apply-updates', phase, done: percent, total: 100, unit: 'percent' });
          }
        : undefined;
      const { stdout } = await runTool({ tool: 'DISM', file: this.o.dismFile, args }, { logDir: this.logDir, onLine });
      return stdout;
    } catch (error) {
      if (!(error instanceof ToolError) || error.toolExitCode === undefined) throw error;
      const code = dismErrorCode(error.output, error.toolExitCode);
      const decoded = decodeDismError(code);
      const said = dismSaid(error.output);
      const quoted = said.error ? ` DISM said: "${said.error}".` : '';
      const logs = `${said.log ? ` DISM's log: ${said.log}.` : ''}${error.logPath ? ` DISM's output: ${error.logPath}` : ''}`;
      throw new DismFailure(`DISM failed ${what}: ${code ?? `exit code ${error.toolExitCode}`}${decoded ? ` (${decoded.meaning})` : ''}.${quoted}`, {
        tool: 'DISM',
        exitCode: error.toolExitCode,
        logPath: error.logPath,
        output: error.output,
        fix: `${decoded?.fix ?? "Read DISM's log for the cause."} The image was discarded; the workspace is unchanged.${logs}`,
        cause: error,
      });
    }
  }

  /** Discards osmedia's own stale mounts (an interrupted earlier run) and DISM's orphaned mount records. */
  async cleanStaleMounts(): Promise<void> {
    const mounts = parseMountedImages(await this.run(this.commands.getMountedWimInfo(), 'listing mounted images'));
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
      this.o.reporter.emit({
        type: 'info',
        step: 'apply-updates',
        message: `discarding a stale mount of an interrupted run: ${mount.mountDir} (${mount.imageFile} index ${mount.index}, status ${mount.status})`,
      });
      // A mount whose WIM is gone may refuse a discard; /Cleanup-Mountpoints below removes what is left of it.
      await this.run(this.commands.unmount(mount.mountDir, false), `discarding the stale mount ${mount.mountDir}`).catch((error: unknown) => {
        this.o.reporter.emit({ type: 'warning', step: 'apply-updates', message: `${(error as Error).message}; cleaning up mount points instead` });
      });
    }
    await this.run(this.commands.cleanupMountpoints(), 'cleaning up mount points');
    if (ours.length > 0) {
      const left = parseMountedImages(await this.run(this.commands.getMountedWimInfo(), 'listing mounted images')).filter(isOurs);
      if (left.length > 0) {
        throw new MediaError(`Stale mounts of an interrupted run could not be removed: ${left.map((m) => `${m.mountDir} (${m.status})`).join(', ')}`, {
          fix: 'Close programs with files open under the scratch folder (Explorer, antivirus), or restart the runner, then run again. Nothing was changed.',
        });
      }
    }
  }

  /** Removes working folders of earlier runs (after their mounts were discarded). */
  async removeOldRuns(): Promise<void> {
    if (!(await exists(this.o.scratchRoot))) return;
    for (const entry of await readdir(this.o.scratchRoot)) {
      if (entry.startsWith('run-')) await rm(path.join(this.o.scratchRoot, entry), { recursive: true, force: true });
    }
  }

  async mount(wim: string, index: number, name: string, label: string, readOnly = false): Promise<string> {
    const dir = path.join(this.runDir, 'mount', name);
    await mkdir(dir, { recursive: true });
    await this.run(this.commands.mount(wim, index, dir, readOnly), `mounting ${label}`, `${label}: mounting`);
    this.mounted.add(dir);
    return dir;
  }

  async unmount(dir: string, commit: boolean, label: string): Promise<void> {
    try {
      await this.run(this.commands.unmount(dir, commit), `${commit ? 'saving' : 'discarding'} ${label}`, `${label}: ${commit ? 'saving' : 'discarding'}`);
      this.mounted.delete(dir);
    } catch (error) {
      if (commit) await this.discardAll();
      throw error;
    }
  }

  /** After a failure: discard whatever is still mounted and clear DISM's records. Never throws. */
  async discardAll(): Promise<void> {
    for (const dir of [...this.mounted]) {
      await this.run(this.commands.unmount(dir, false), `discarding ${dir}`).catch(() => {});
      this.mounted.delete(dir);
    }
    await this.run(this.commands.cleanupMountpoints(), 'cleaning up mount points').catch(() => {});
  }

  async exportAll(source: string, indexes: number[], dest: string, bootIndex: number, label: string): Promise<void> {
    for (const index of indexes) {
      const args = this.commands.exportImage(source, index, dest);
      if (index === bootIndex) args.splice(5, 0, '/Bootable');
      await this.run(args, `exporting ${label} index ${index}`, `${label}: exporting index ${index}`);
    }
  }
}
