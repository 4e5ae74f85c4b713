// The checks that need no change, for a whole recipe: every step that will run gets its
// preflight, on the media as it will be when that step starts (the workspace's, or the one the
// ISO will give). `osmedia plan` shows them; `osmedia run` makes them before its first step, so
// nothing is imported, serviced or published when a later step is bound to fail.
import { getStep } from '../steps/index.ts';
import type { PlannedMedia, Problem, StepContext } from '../steps/types.ts';
import type { Manifest } from '../media/manifest.ts';
import type { PlannedStep, RecipeDecision } from './run-recipe.ts';
import { parseOptions } from './run-step.ts';

/** Every problem the recipe's steps would meet, in step order (empty: the run can start). */
export async function preflightRecipe(
  planned: readonly PlannedStep[],
  context: StepContext,
  decision: RecipeDecision,
  manifest: Manifest | undefined,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  // The media before the first step that runs: nothing yet (an import comes), or the workspace's.
  let before: PlannedMedia = decision.reimport || !manifest ? {} : { manifest, images: manifest.installWim.images };
  for (const [i, item] of planned.entries()) {
    const step = getStep(item.step);
    const options: unknown = parseOptions(step.schema, item.options, item.step);
    if (i < decision.firstToRun && step.effect !== 'external') continue; // skipped: it will not run
    if (!step.preflight) continue;
    const found = await step.preflight(context, before, options);
    problems.push(...found.problems);
    if (found.after) before = found.after;
  }
  return problems;
}
