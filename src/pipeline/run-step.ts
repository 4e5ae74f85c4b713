// What deciding a step's run needs (options validated, the hash that decides a skip, the media
// steps that made the workspace, whether media/ still matches the manifest), and runStep: one step
// as its own session (src/pipeline/session.ts does the locking, skipping and committing).
import type { z } from 'zod';
import { stableHash, type HistoryEntry, type Manifest } from '../media/manifest.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { listTree } from '../util/fs.ts';
import type { AnyStep, Problem, StepContext, StepRunResult } from '../steps/types.ts';
import { Session } from './session.ts';

export type { StepRunResult } from '../steps/types.ts';

/** Validates options with the step's schema; errors name the field and what was expected. */
export function parseOptions<O>(schema: z.ZodType<O>, raw: unknown, where: string): O {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${[where, ...issue.path.map(String)].filter(Boolean).join('.')}: ${issue.message}`);
  throw new UsageError(`Invalid options:\n${lines.join('\n')}`, { fix: 'Correct the options named above (see --help).' });
}

/** The hash that decides whether a step can be skipped on a re-run. */
export async function optionsHashOf(step: AnyStep, options: unknown): Promise<string> {
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

/**
 * Runs one step as its own session (the CLI's and the Action's single-step commands): validate
 * the options, lock, recover, run, release. A recipe runs all its steps in one session instead.
 * (A single step's preflight would repeat what its apply() checks first, so it is not run here.)
 */
export async function runStep(step: AnyStep, rawOptions: unknown, context: StepContext, command: string, waitMs = 0): Promise<StepRunResult> {
  const options: unknown = parseOptions(step.schema, rawOptions, '');
  const session = await Session.open(context, { command, create: step.id === 'import-media', waitMs });
  try {
    return await session.run(step, options);
  } finally {
    await session.close();
  }
}

/** Fails with every problem the preflight checks found, each with its fix (exit 2: nothing was changed). */
export function throwProblems(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  if (problems.length === 1) throw new UsageError(`${problems[0]!.step}: ${problems[0]!.message}`, { fix: problems[0]!.fix });
  throw new UsageError(`${problems.length} problems found before any step ran:\n${problems.map((p) => `  ${p.step}: ${p.message}`).join('\n')}`, {
    fix: `${problems.map((p) => p.fix).join(' ')} Nothing was changed.`,
  });
}
