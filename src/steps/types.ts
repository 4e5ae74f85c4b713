// The contract every step fulfils. The CLI, the recipe runner (and later the Action and Jenkins)
// are thin adapters over the registry of these.
import type { z } from 'zod';
import type { ImageEngine } from '../imaging/types.ts';
import type { SevenZip } from '../imaging/sevenzip.ts';
import type { WimlibEngine } from '../imaging/wimlib.ts';
import type { Manifest } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import type { Reporter } from '../util/events.ts';

export type StepId = 'import-media' | 'strip-indexes' | 'apply-updates' | 'stamp-build-file' | 'build-iso' | 'distribute' | 'generate-task-sequence';

export interface StepContext {
  workspace: Workspace;
  reporter: Reporter;
  engine: ImageEngine;
  wimlib: WimlibEngine;
  sevenZip: SevenZip;
  /** The clock, injectable so build files are reproducible (SOURCE_DATE_EPOCH). */
  now: () => Date;
  /** Re-create the workspace even when it already holds media. */
  force: boolean;
}

/** What a step's apply() hands back to the runner, which records it and commits it. */
export interface StepChange {
  manifest: Manifest;
  renames?: { from: string; to: string }[];
  deletes?: string[];
  /** Leftovers to remove once the change is committed (e.g. the media an import replaced). */
  cleanup?: string[];
  summary: Record<string, unknown>;
  message: string;
  /** Nothing changed anywhere (an external step found its targets up to date): reported as skipped, not recorded. */
  unchanged?: boolean;
}

export interface Step<Options> {
  id: StepId;
  title: string;
  /** zod schema of the options; CLI flags and recipe fields are validated against it. */
  schema: z.ZodType<Options>;
  /**
   * True when applying the step on top of its own earlier result gives the same media as applying
   * it to that result's input (stamp rewrites its files). A recipe change confined to such steps
   * re-runs them in place instead of rebuilding the media from the source.
   */
  reapplicable?: boolean;
  /**
   * 'media' (the default): the step changes the media and is skipped when nothing changed.
   * 'external': it changes something outside the workspace (a share, a site). It always runs,
   * because only the outside can tell whether there is work to do, and it never counts as a
   * change of the media when later runs decide what to skip.
   */
  effect?: 'media' | 'external';
  /** The part of the options that decides whether a re-run can be skipped. */
  identity?(options: Options): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Says what apply() would do, without doing it: the text a pull request shows. */
  plan(manifest: Manifest | undefined, options: Options): string[];
  apply(context: StepContext, manifest: Manifest, options: Options): Promise<StepChange>;
}
