// A session: one run on one workspace (`osmedia run`, or one step from the CLI, the Action or
// Jenkins). It takes the workspace lock once, finishes what an interrupted run left (recovery),
// reads the manifest once, and hands it to every step in turn; each step returns the new manifest
// and the session commits it (atomically, through the workspace journal) and keeps it for the next
// step. Nothing else reads the manifest while the session is open, and no other run can slip in
// between two steps: a second run waits (--wait) or stops with the lock's holder named.
import { readdir } from 'node:fs/promises';
import type { HistoryEntry, Manifest } from '../media/manifest.ts';
import { describeError, MediaError, UsageError } from '../util/errors.ts';
import { pausePoint } from '../util/fault.ts';
import { exists, removeTree } from '../util/fs.ts';
import type { AnyStep, StepContext, StepRunResult } from '../steps/types.ts';
import { appliedHistory, checkMediaMatchesManifest, optionsHashOf } from './run-step.ts';

export interface SessionOptions {
  /** The command, recorded in the lock so a second run can name who holds it. */
  command: string;
  /** The session may create the workspace (import-media, a recipe run); otherwise it must exist. */
  create: boolean;
  /** How long to wait for another run's lock (0: stop at once with the lock message). */
  waitMs?: number;
}

/** Refuses to import into a folder with unrelated content (before osmedia writes anything there), unless --force. */
export async function checkForeignContent(context: StepContext): Promise<void> {
  const { workspace } = context;
  if (context.force || (await exists(workspace.stateDir)) || !(await exists(workspace.root))) return;
  const entries = await readdir(workspace.root).catch(() => []);
  if (entries.length > 0) {
    throw new UsageError(
      `The workspace ${workspace.root} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and holds no osmedia media`,
      {
        fix: 'Choose an empty folder with --workspace, or pass --force to import beside the existing files (a media/ folder there is replaced).',
      },
    );
  }
}

/** Skip an import already done with the same inputs; refuse to replace other media unless --force. */
function checkExistingImport(context: StepContext, manifest: Manifest | undefined, optionsHash: string): 'skip' | 'go' {
  if (!manifest || context.force) return 'go';
  const applied = appliedHistory(manifest);
  const last = applied.at(-1);
  if (applied.length === 1 && last?.step === 'import-media' && last.optionsHash === optionsHash && last.outputFingerprint === manifest.fingerprint)
    return 'skip';
  const steps = applied.map((entry) => entry.step).join(', ');
  throw new UsageError(`The workspace ${context.workspace.root} already holds media imported from ${manifest.source.path} (steps applied: ${steps})`, {
    fix: 'Pass --force to replace it with a fresh import, or choose an empty folder with --workspace.',
  });
}

export class Session {
  /** The manifest as this session last committed it (undefined: nothing imported yet). */
  manifest: Manifest | undefined;
  readonly context: StepContext;
  private release: (() => Promise<void>) | undefined;

  private constructor(context: StepContext, release: () => Promise<void>, manifest: Manifest | undefined) {
    this.context = context;
    this.release = release;
    this.manifest = manifest;
  }

  /** Locks the workspace, recovers an interrupted change, and reads the manifest (once). */
  static async open(context: StepContext, options: SessionOptions): Promise<Session> {
    const { workspace, reporter } = context;
    if (options.create) {
      await checkForeignContent(context);
      await workspace.ensureWritable();
    } else if (!(await exists(workspace.manifestPath)) && !(await exists(workspace.stateDir))) {
      throw new MediaError(`${workspace.root} is not an osmedia workspace (no ${workspace.manifestPath})`, {
        fix: 'Run `osmedia import-media --source … --workspace …` first, or pass the workspace that import-media created.',
      });
    }
    const release = await workspace.lock(options.command, reporter, options.waitMs ?? 0);
    try {
      const recovered = await workspace.recover(reporter);
      const manifest = recovered ?? ((await workspace.hasManifest()) ? await workspace.loadManifest() : undefined);
      return new Session(context, release, manifest);
    } catch (error) {
      await release();
      throw error;
    }
  }

  /** Releases the lock (idempotent). */
  async close(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

  /** The manifest, or the error that says to import first. */
  requireManifest(): Manifest {
    if (this.manifest) return this.manifest;
    throw new MediaError(`No workspace manifest at ${this.context.workspace.manifestPath}`, {
      fix: 'Run `osmedia import-media --source … --workspace …` first.',
    });
  }

  /** Reports a step as skipped without running it (a recipe's unchanged prefix). */
  skip(step: AnyStep, why: string): StepRunResult {
    this.context.reporter.emit({ type: 'step-finished', step: step.id, result: 'skipped', durationMs: 0, message: why });
    return { step: step.id, result: 'skipped', message: why, summary: {}, optionsHash: '', manifest: this.requireManifest() };
  }

  /**
   * Runs one step on the session's manifest: skip when nothing changed, apply, record the history
   * entry, commit. `options` are already validated by the step's schema; `context` may override
   * the session's (a recipe's import is forced when the media must be rebuilt).
   */
  async run(step: AnyStep, options: unknown, context: StepContext = this.context): Promise<StepRunResult> {
    const { workspace, reporter } = context;
    const isImport = step.id === 'import-media';
    const started = Date.now();
    reporter.emit({ type: 'step-started', step: step.id, title: step.title });
    const manifest = this.manifest;
    try {
      const optionsHash = await optionsHashOf(step, options);
      if (isImport) {
        if (checkExistingImport(context, manifest, optionsHash) === 'skip')
          return this.skipped(step, optionsHash, 'the workspace already holds this import, unchanged', started);
      } else {
        const current = this.requireManifest();
        await checkMediaMatchesManifest(context, current);
        const last = appliedHistory(current).at(-1);
        if (step.effect !== 'external' && last?.step === step.id && last.optionsHash === optionsHash && last.outputFingerprint === current.fingerprint) {
          return this.skipped(step, optionsHash, 'unchanged since its last successful run', started);
        }
      }
      const startedAt = new Date(started).toISOString();
      const change = await step.apply(context, manifest as Manifest, options);
      if (change.unchanged) {
        reporter.emit({
          type: 'step-finished',
          step: step.id,
          result: 'skipped',
          durationMs: Date.now() - started,
          message: change.message,
          summary: change.summary,
        });
        return { step: step.id, result: 'skipped', message: change.message, summary: change.summary, optionsHash, manifest: manifest! };
      }
      const entry: HistoryEntry = {
        step: step.id,
        options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
        optionsHash,
        startedAt,
        endedAt: new Date().toISOString(),
        result: 'succeeded',
        effect: step.effect ?? 'media',
        inputFingerprint: isImport ? '' : manifest!.fingerprint,
        outputFingerprint: change.manifest.fingerprint,
        summary: change.summary,
      };
      change.manifest.history = [...(isImport ? [] : manifest!.history), entry];
      await workspace.commit(change);
      this.manifest = change.manifest;
      for (const leftover of change.cleanup ?? []) await removeTree(leftover);
      await pausePoint(`committed:${step.id}`);
      const durationMs = Date.now() - started;
      reporter.emit({ type: 'step-finished', step: step.id, result: 'succeeded', durationMs, message: change.message, summary: change.summary });
      return { step: step.id, result: 'succeeded', message: change.message, summary: change.summary, optionsHash, manifest: change.manifest };
    } catch (error) {
      const described = describeError(error);
      reporter.emit({
        type: 'step-finished',
        step: step.id,
        result: 'failed',
        durationMs: Date.now() - started,
        message: described.message.split('\n')[0],
        error: described,
      });
      if (manifest && !isImport) await this.recordFailure(manifest, step.id, options, started, error).catch(() => {});
      throw error;
    }
  }

  private skipped(step: AnyStep, optionsHash: string, why: string, started: number): StepRunResult {
    this.context.reporter.emit({ type: 'step-finished', step: step.id, result: 'skipped', durationMs: Date.now() - started, message: why });
    return { step: step.id, result: 'skipped', message: why, summary: {}, optionsHash, manifest: this.manifest! };
  }

  /** Keeps a failed attempt in the history (the media itself is unchanged), for troubleshooting. */
  private async recordFailure(manifest: Manifest, step: string, options: unknown, started: number, error: unknown): Promise<void> {
    const entry: HistoryEntry = {
      step,
      options: JSON.parse(JSON.stringify(options ?? {})) as Record<string, unknown>,
      optionsHash: '',
      startedAt: new Date(started).toISOString(),
      endedAt: new Date().toISOString(),
      result: 'failed',
      effect: 'media',
      inputFingerprint: manifest.fingerprint,
      outputFingerprint: manifest.fingerprint,
      summary: { error: error instanceof Error ? error.message : String(error) },
    };
    const next = { ...manifest, history: [...manifest.history, entry] };
    await this.context.workspace.commit({ manifest: next });
    this.manifest = next;
  }
}
