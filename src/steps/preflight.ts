// Helpers for the steps' preflight checks (Step.preflight): turn an error a check throws into a
// Problem, and run a check that may throw.
import { describeError, OsmediaError } from '../util/errors.ts';
import type { Problem, StepId } from './types.ts';

/** The problem an osmedia error describes; other errors (bugs, not bad input) are rethrown. */
export function problemOf(step: StepId, error: unknown): Problem {
  if (!(error instanceof OsmediaError)) throw error;
  const described = describeError(error);
  return { step, message: described.message, fix: described.fix ?? 'See the message above.' };
}

/** Runs a check; its OsmediaError becomes a problem in the list. Returns the check's value, or undefined when it failed. */
export async function check<T>(step: StepId, problems: Problem[], run: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    problems.push(problemOf(step, error));
    return undefined;
  }
}
