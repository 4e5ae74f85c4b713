// The step registry: the one list the CLI, the recipe runner, the Action and Jenkins read.
import { applyUpdates } from './apply-updates.ts';
import { buildIsoStep } from './build-iso.ts';
import { distribute } from './distribute.ts';
import { generateTaskSequence } from './generate-task-sequence.ts';
import { importMedia } from './import-media.ts';
import { stampBuildFile } from './stamp-build-file.ts';
import { stripIndexes } from './strip-indexes.ts';
import type { AnyStep, Step, StepId, StepRunResult } from './types.ts';

export const steps = {
  'import-media': importMedia,
  'strip-indexes': stripIndexes,
  'apply-updates': applyUpdates,
  'stamp-build-file': stampBuildFile,
  'build-iso': buildIsoStep,
  distribute,
  'generate-task-sequence': generateTaskSequence,
} satisfies Record<StepId, AnyStep>;

/** Each step's Summary type, by step id. */
export type StepSummaries = { [K in StepId]: (typeof steps)[K] extends Step<infer _O, infer _P, infer S> ? S : never };

export function getStep(id: StepId): AnyStep {
  return steps[id];
}

/**
 * The summary of step `id` in a session's results, typed by the id; undefined when the step did
 * not run (or was skipped without running). The one place that ties a result's id to its summary
 * type: the session stores the summary that steps[id].apply() returned under that id.
 */
export function summaryOf<K extends StepId>(results: readonly StepRunResult[], id: K): StepSummaries[K] | undefined {
  const found = results.find((r) => r.step === id && Object.keys(r.summary).length > 0);
  return found?.summary as StepSummaries[K] | undefined;
}

export type { AnyStep, Step, StepId, StepRunResult, Summary } from './types.ts';
