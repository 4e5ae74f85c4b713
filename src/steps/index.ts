// The step registry: the one list the CLI, the recipe runner and (later) the Action read.
import { applyUpdates } from './apply-updates.ts';
import { buildIsoStep } from './build-iso.ts';
import { distribute } from './distribute.ts';
import { generateTaskSequence } from './generate-task-sequence.ts';
import { importMedia } from './import-media.ts';
import { stampBuildFile } from './stamp-build-file.ts';
import { stripIndexes } from './strip-indexes.ts';
import type { Step, StepId } from './types.ts';

export const steps = {
  'import-media': importMedia,
  'strip-indexes': stripIndexes,
  'apply-updates': applyUpdates,
  'stamp-build-file': stampBuildFile,
  'build-iso': buildIsoStep,
  distribute,
  'generate-task-sequence': generateTaskSequence,
} satisfies Record<StepId, Step<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A step whose options type is not known statically (validated at run time by its schema). */
export type AnyStep = Step<unknown>;

export function getStep(id: StepId): AnyStep {
  return steps[id] as unknown as AnyStep;
}

export type { Step, StepId } from './types.ts';
