// The contract every step fulfils. The CLI, the recipe runner (and later the Action and Jenkins)
// are thin adapters over the registry of these.
import type { z } from 'zod';
import type { ImageEngine } from '../imaging/types.ts';
import type { SevenZip } from '../imaging/sevenzip.ts';
import type { WimlibEngine } from '../imaging/wimlib.ts';
import type { Manifest } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import type { Reporter, StepResult } from '../util/events.ts';
import type { ImageInfo } from '../imaging/types.ts';

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

/** The JSON shape every step summary has (it is recorded in the manifest's history). */
export type Summary = Record<string, unknown>;

/** What a step's apply() hands back to the session, which records it and commits it. */
export interface StepChange<S extends Summary = Summary> {
  manifest: Manifest;
  renames?: { from: string; to: string }[];
  deletes?: string[];
  /** Leftovers to remove once the change is committed (e.g. the media an import replaced). */
  cleanup?: string[];
  summary: S;
  message: string;
  /** Nothing changed anywhere (an external step found its targets up to date): reported as skipped, not recorded. */
  unchanged?: boolean;
}

/** A problem a check found before any step ran (plan, and the start of run). */
export interface Problem {
  step: StepId;
  message: string;
  fix: string;
}

/**
 * The media as it will be when a step starts, known without changing anything: the workspace's
 * manifest (when the step runs on the media as it is), and the install.wim images (from the
 * manifest, or read from the source ISO when the media is still to be imported).
 */
export interface PlannedMedia {
  manifest?: Manifest;
  images?: ImageInfo[];
}

/** What a preflight check found, and the media as the step leaves it (for the next step's check). */
export interface Preflight {
  problems: Problem[];
  after?: PlannedMedia;
}

/** One step's outcome in a session. */
export interface StepRunResult<S extends Summary = Summary> {
  step: StepId;
  result: StepResult;
  message: string;
  /** The step's summary; {} when it was skipped without running. */
  summary: S | Record<string, never>;
  optionsHash: string;
  manifest: Manifest;
}

export interface Step<Options, Plan = string[], S extends Summary = Summary> {
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
  plan(manifest: Manifest | undefined, options: Options): Plan;
  /**
   * Every check of this step that needs no change (the inputs exist, the editions it names are in
   * the media…). The session runs every step's preflight before the first step applies, and
   * `osmedia plan` runs them too, so the plan is red exactly when the run would fail.
   */
  preflight?(context: StepContext, before: PlannedMedia, options: Options): Promise<Preflight> | Preflight;
  apply(context: StepContext, manifest: Manifest, options: Options): Promise<StepChange<S>>;
}

/** A step whose types are not known statically (options validated at run time by its schema). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = Step<any>;
