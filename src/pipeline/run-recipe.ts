// Runs a recipe's steps in order. A workspace's history is the chain of steps that made its
// media; the steps whose options match that chain are skipped, the rest run. When the recipe
// diverges from the chain (e.g. other editions kept), the media is rebuilt from the pristine
// source: strip is destructive, so there is no other honest way.
import path from 'node:path';
import type { LoadedRecipe } from '../recipe/load.ts';
import { getStep, type StepId } from '../steps/index.ts';
import { summaryOf } from '../steps/index.ts';
import type { StepContext } from '../steps/types.ts';
import type { Manifest } from '../media/manifest.ts';
import { appliedHistory, checkMediaMatchesManifest, optionsHashOf, parseOptions, throwProblems, type StepRunResult } from './run-step.ts';
import { preflightRecipe } from './preflight.ts';
import { Session } from './session.ts';
import { describeError, OsmediaError, UsageError } from '../util/errors.ts';

export interface PlannedStep {
  step: StepId;
  options: Record<string, unknown>;
}

/** The recipe as a list of steps with their options (paths resolved against the recipe's folder). */
export function stepsOfRecipe(loaded: LoadedRecipe): PlannedStep[] {
  const { recipe, dir } = loaded;
  const planned: PlannedStep[] = [
    { step: 'import-media', options: { source: path.resolve(dir, recipe.media.source), sha256: recipe.media.sha256, compression: recipe.media.compression } },
  ];
  if (recipe.media.keep) planned.push({ step: 'strip-indexes', options: { keep: recipe.media.keep } });
  if (recipe.updates) {
    const u = recipe.updates;
    planned.push({
      step: 'apply-updates',
      options: {
        ...u,
        from: u.from === undefined ? undefined : path.resolve(dir, u.from),
        files: u.files?.map((f) => ({ ...f, path: path.resolve(dir, f.path) })),
        scratch: u.scratch === undefined ? undefined : path.resolve(dir, u.scratch),
        ...(recipe.media.bootManager === '2023' ? { bootManager: '2023' } : {}), // media.bootManager is the recipe's one place for it
      },
    });
  }
  if (recipe.stamp !== false) planned.push({ step: 'stamp-build-file', options: { ...(recipe.stamp ?? {}), recipeDir: dir } });
  if (recipe.iso)
    planned.push({
      step: 'build-iso',
      options: { ...recipe.iso, output: path.resolve(dir, recipe.iso.output), bootManager: recipe.iso.bootManager ?? recipe.media.bootManager },
    });
  if (recipe.distribute)
    planned.push({ step: 'distribute', options: { ...recipe.distribute, targets: recipe.distribute.targets.map((t) => path.resolve(dir, t)) } });
  if (recipe.taskSequence) planned.push({ step: 'generate-task-sequence', options: recipe.taskSequence });
  return planned;
}

export interface RecipeDecision {
  /** Index of the first step that must run; the ones before it are skipped. */
  firstToRun: number;
  /** The workspace must be rebuilt from the source (recipe diverged or media edited). */
  reimport: boolean;
  reason: string;
}

/** Compares the recipe's chain of steps with the workspace's history (its manifest, read by the caller). */
export async function decide(planned: PlannedStep[], context: StepContext, manifest: Manifest | undefined): Promise<RecipeDecision> {
  if (context.force) return { firstToRun: 0, reimport: true, reason: '--force: rebuilding from the source' };
  if (!manifest) return { firstToRun: 0, reimport: false, reason: 'new workspace' };
  const applied = appliedHistory(manifest);
  if (applied.at(-1)?.outputFingerprint !== manifest.fingerprint) {
    return { firstToRun: 0, reimport: true, reason: 'the workspace media does not match its last recorded step: rebuilding from the source' };
  }
  await checkMediaMatchesManifest(context, manifest);
  let common = 0;
  while (common < planned.length && common < applied.length) {
    const step = getStep(planned[common]!.step);
    const options: unknown = parseOptions(step.schema, planned[common]!.options, planned[common]!.step);
    if (applied[common]!.step !== step.id || applied[common]!.optionsHash !== (await optionsHashOf(step, options))) break;
    common++;
  }
  // Steps after the common prefix that can simply be applied again (stamp) need no rebuild.
  const tail = applied.slice(common);
  if (tail.length > 0 && tail.every((entry, k) => getStep(entry.step as StepId).reapplicable && planned[common + k]?.step === entry.step)) {
    return { firstToRun: common, reimport: false, reason: `${common} step(s) unchanged; ${tail.map((e) => e.step).join(', ')} changed and runs again` };
  }
  if (common < applied.length) {
    const changed = planned[common]?.step ?? applied[common]!.step;
    return { firstToRun: 0, reimport: true, reason: `the recipe changed at ${changed} since the workspace was built: rebuilding from the source` };
  }
  return { firstToRun: common, reimport: false, reason: common === planned.length ? 'nothing changed' : `${common} step(s) unchanged` };
}

/** decide(), with a workspace that cannot be reused (media edited by hand…) turned into a rebuild. */
export async function decideOrRebuild(planned: PlannedStep[], context: StepContext, manifest: Manifest | undefined): Promise<RecipeDecision> {
  try {
    return await decide(planned, context, manifest);
  } catch (error) {
    if (!(error instanceof OsmediaError) || error.exitCode === 2) throw error;
    return { firstToRun: 0, reimport: true, reason: `the workspace cannot be reused (${error.message}): rebuilding from the source` };
  }
}

export interface RecipeRunResult {
  recipe: string;
  workspace: string;
  reason: string;
  steps: StepRunResult[];
}

export interface RecipeRunOptions {
  /** How long to wait for another run's workspace lock (0: stop at once). */
  waitMs?: number;
}

/**
 * Runs a recipe as one session: one lock from the first step to the last, the manifest read once
 * (after recovery), every preflight check before the first step, then the steps in order.
 */
export async function runRecipe(loaded: LoadedRecipe, context: StepContext, options: RecipeRunOptions = {}): Promise<RecipeRunResult> {
  const planned = stepsOfRecipe(loaded);
  const { reporter } = context;
  const session = await Session.open(context, { command: `osmedia run --recipe ${loaded.file}`, create: true, waitMs: options.waitMs });
  try {
    const decision = await decideOrRebuild(planned, context, session.manifest);
    reporter.emit({ type: 'info', message: `recipe ${path.basename(loaded.file)}: ${decision.reason}` });
    // Nothing runs (and nothing is published) when a later step is bound to fail.
    const problems = await preflightRecipe(planned, context, decision, session.manifest);
    if (problems.length > 0) {
      // Reports list every step of the recipe: the ones whose checks failed, and the others, not run.
      for (const item of planned) {
        const own = problems.filter((p) => p.step === item.step);
        const error = own.length ? describeError(new UsageError(own.map((p) => p.message).join('\n'), { fix: own.map((p) => p.fix).join(' ') })) : undefined;
        reporter.emit(
          error
            ? { type: 'step-finished', step: item.step, result: 'failed', durationMs: 0, message: error.message.split('\n')[0], error }
            : { type: 'step-finished', step: item.step, result: 'skipped', durationMs: 0, message: `not run: ${problems[0]!.step} failed` },
        );
      }
      throwProblems(problems);
    }
    const results: StepRunResult[] = [];
    for (const [i, item] of planned.entries()) {
      const step = getStep(item.step);
      if (i < decision.firstToRun && step.effect !== 'external') {
        results.push(session.skip(step, 'unchanged since its last successful run'));
        continue;
      }
      const stepContext = { ...context, force: item.step === 'import-media' ? decision.reimport || context.force : context.force };
      // The task sequence points at the OS upgrade package the site just created or repointed, unless the recipe names one.
      const sitePackage = summaryOf(results, 'distribute')?.site?.upgradePackage.packageId;
      const raw =
        item.step === 'generate-task-sequence' && sitePackage && item.options['packageId'] === undefined
          ? { ...item.options, packageId: sitePackage }
          : item.options;
      try {
        results.push(await session.run(step, parseOptions(step.schema, raw, item.step), stepContext));
      } catch (error) {
        // Reports list every step of the recipe: the ones after a failure did not run.
        for (const later of planned.slice(i + 1))
          reporter.emit({ type: 'step-finished', step: later.step, result: 'skipped', durationMs: 0, message: `not run: ${step.id} failed` });
        throw error;
      }
    }
    return { recipe: loaded.file, workspace: context.workspace.root, reason: decision.reason, steps: results };
  } finally {
    await session.close();
  }
}
