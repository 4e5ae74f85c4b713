// Runs one step against a workspace: validate options, lock, recover from an interrupted run,
// skip when nothing changed, apply, record history, commit. Every entry point goes through here.
import { readdir } from 'node:fs/promises';
import type { z } from 'zod';
import { stableHash, type HistoryEntry, type Manifest } from '../media/manifest.ts';
import { describeError, MediaError, UsageError } from '../util/errors.ts';
import type { StepResult } from '../util/events.ts';
import { exists, listTree, removeTree } from '../util/fs.ts';
import type { Step, StepContext } from '../steps/types.ts';

export interface StepRunResult {
  step: string;
  result: StepResult;
  message: string;
  summary: Record<string, unknown>;
  optionsHash: string;
  manifest: Manifest;
}

/** Validates options with the step's schema; errors name the field and what was expected. */
export function parseOptions<O>(schema: z.ZodType<O>, raw: unknown, where: string): O {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${[where, ...issue.path.map(String)].filter(Boolean).join('.')}: ${issue.message}`);
  throw new UsageError(`Invalid options:\n${lines.join('\n')}`, { fix: 'Correct the options named above (see --help).' });
}

/** The hash that decides whether a step can be skipped on a re-run. */
export async function optionsHashOf<O>(step: Step<O>, options: O): Promise<string> {
  const identity = step.identity ? await step.identity(options) : (options as Record<string, unknown>);
  return stableHash({ step: step.id, identity });
}

/** The entries that made the media: succeeded media steps, in order (publishing is not one). */
export function appliedHistory(manifest: Manifest | undefined): HistoryEntry[] {
  return manifest?.history.filter((entry) => entry.result === 'succeeded' && entry.effect === 'media') ?? [];
}

/** Fails when media/ no longer matches the manifest (edited by hand), so skips stay trustworthy. */
export async function checkMediaMatchesManifest(context: Pick<StepContext, 'workspace'>, manifest: Manifest): Promise<void> {
  const actual = await listTree(context.workspace.mediaDir);
  const recorded = new Map(manifest.files.map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const file of actual) {
    const entry = recorded.get(file.path);
    if (!entry) problems.push(`${file.path} (not in the manifest)`);
    else if (entry.size !== file.size || entry.mtimeMs !== file.mtimeMs) problems.push(`${file.path} (changed)`);
    recorded.delete(file.path);
  }
  for (const missing of recorded.keys()) problems.push(`${missing} (missing)`);
  if (problems.length > 0) {
    throw new MediaError(
      `The media in ${context.workspace.mediaDir} was changed outside osmedia: ${problems.slice(0, 5).join(', ')}${problems.length > 5 ? `, and ${problems.length - 5} more` : ''}`,
      {
        fix: 'Start again from pristine media: `osmedia import-media --force` (or `osmedia run` with --force).',
      },
    );
  }
}

/** Refuses to import into a folder with unrelated content (before osmedia writes anything there), unless --force. */
async function checkForeignContent(context: StepContext): Promise<void> {
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

export async function runStep<O>(step: Step<O>, rawOptions: unknown, context: StepContext, command: string): Promise<StepRunResult> {
  const options = parseOptions(step.schema, rawOptions, '');
  const { workspace, reporter } = context;
  const isImport = step.id === 'import-media';
  if (isImport) {
    await checkForeignContent(context);
    await workspace.ensureWritable();
  } else if (!(await exists(workspace.manifestPath)) && !(await exists(workspace.stateDir))) {
    throw new MediaError(`${workspace.root} is not an osmedia workspace (no ${workspace.manifestPath})`, {
      fix: 'Run `osmedia import-media --source … --workspace …` first, or pass the workspace that import-media created.',
    });
  }
  const release = await workspace.lock(command, reporter);
  const started = Date.now();
  reporter.emit({ type: 'step-started', step: step.id, title: step.title });
  let manifest: Manifest | undefined;
  try {
    await workspace.recover(reporter);
    manifest = (await workspace.hasManifest()) ? await workspace.loadManifest() : undefined;
    const optionsHash = await optionsHashOf(step, options);
    if (isImport) {
      if (checkExistingImport(context, manifest, optionsHash) === 'skip')
        return skipped(step.id, manifest!, optionsHash, 'the workspace already holds this import, unchanged', started, context);
    } else {
      manifest ??= await workspace.loadManifest(); // none: throws "run import-media first"
      await checkMediaMatchesManifest(context, manifest);
      const last = appliedHistory(manifest).at(-1);
      if (step.effect !== 'external' && last?.step === step.id && last.optionsHash === optionsHash && last.outputFingerprint === manifest.fingerprint) {
        return skipped(step.id, manifest, optionsHash, 'unchanged since its last successful run', started, context);
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
    for (const leftover of change.cleanup ?? []) await removeTree(leftover);
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
    if (manifest && !isImport) await recordFailure(context, manifest, step.id, options, started, error).catch(() => {});
    throw error;
  } finally {
    await release();
  }
}

function skipped(step: string, manifest: Manifest, optionsHash: string, why: string, started: number, context: StepContext): StepRunResult {
  context.reporter.emit({ type: 'step-finished', step, result: 'skipped', durationMs: Date.now() - started, message: why });
  return { step, result: 'skipped', message: why, summary: {}, optionsHash, manifest };
}

/** Keeps a failed attempt in the history (the media itself is unchanged), for troubleshooting. */
async function recordFailure(context: StepContext, manifest: Manifest, step: string, options: unknown, started: number, error: unknown): Promise<void> {
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
  await context.workspace.commit({ manifest: { ...manifest, history: [...manifest.history, entry] } });
}
