// apply-updates: classify the update packages by content, plan the servicing in Microsoft's
// documented order, execute it (DISM for images; wimlib and 7-Zip for the rest), verify the result,
// and record per image what was applied. On a machine without DISM, a plan that needs it stops
// before anything changes, after showing the plan.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { dismPath } from '../imaging/dism.ts';
import { fingerprintFiles, withFiles, type FileEntry, type Manifest } from '../media/manifest.ts';
import { ServicingRun, type Failure } from '../updates/execute.ts';
import type { Rejection } from '../updates/classify.ts';
import { checkPins, classifyUpdates, collectUpdateFiles, hashUpdate, takeInputs, type UpdateFile } from '../updates/inputs.ts';
import { formatPlan, planServicing, requireVersion, type AppliedUpdate, type ServicingPlan } from '../updates/plan.ts';
import { MediaError } from '../util/errors.ts';
import { BootManagerSchema, readBootManager, type BootManagerRecord } from '../media/boot/record.ts';
import { hashFile, mapLimit } from '../util/fs.ts';
import { check } from './preflight.ts';
import { dryRunField, engineField, list } from './fields.ts';
import type { Problem, Step, StepChange, StepContext } from './types.ts';

export const ApplyUpdatesOptionsSchema = z
  .strictObject({
    /** A folder of .msu/.cab files; a SHA256SUMS file in it pins them. */
    from: z.string().min(1).optional().meta({
      flag: 'updates',
      short: 'u',
      placeholder: 'DIR',
      example: 'D:\\updates\\2026-11',
      description: "folder of this month's .msu and .cab files; a SHA256SUMS file in it (sha256sum format) pins them",
    }),
    /** Update files, each optionally pinned by SHA-256. */
    files: list(
      z.strictObject({
        path: z.string().min(1),
        sha256: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 is 64 hexadecimal digits')
          .optional(),
      }),
    )
      .optional()
      .meta({
        flag: 'update',
        placeholder: 'FILE',
        item: 'path',
        description: 'an update file (repeatable); pin it with "files": [{"path", "sha256"}] in an --args-file or the recipe',
      }),
    /** /StartComponentCleanup after the updates (ResetBase for WinRE and boot.wim only). */
    cleanup: z.boolean().default(true).meta({
      flag: 'no-cleanup',
      negate: true,
      description: 'run /StartComponentCleanup after the updates (the default); --no-cleanup skips it (not recommended: the images stay larger)',
    }),
    /** Enable .NET Framework 3.5 in install.wim images (from sources/sxs), after cleanup. */
    netfx3: z
      .boolean()
      .default(false)
      .meta({ flag: 'netfx3', description: 'enable .NET Framework 3.5 in install.wim images from sources/sxs (after cleanup, before the .NET CU)' }),
    /** As ConfigMgr's "Continue on error": record a failed package and go on; the default discards the image. */
    continueOnError: z.boolean().default(false).meta({
      flag: 'continue-on-error',
      description: 'record a package DISM fails to add and carry on (as ConfigMgr\'s "Continue on error"); default: discard the image and stop',
    }),
    /** Go on when some files are rejected (express CABs, other architectures…); they are still reported. */
    skipRejected: z
      .boolean()
      .default(false)
      .meta({ flag: 'skip-rejected', description: 'go on when some files are rejected (express CABs, other architectures…); they are still listed' }),
    /**
     * KBs to treat as checkpoint cumulative updates besides the known ones (KB5043080 for 26100).
     * Checkpoints are not marked inside the package; the LCU's KB article lists them.
     */
    checkpoints: list(z.string().regex(/^KB\d{6,8}$/i, 'a KB number such as KB5043080'))
      .default([])
      .meta({
        flag: 'checkpoint',
        placeholder: 'KB',
        example: 'KB5043080',
        description: 'a KB to treat as a checkpoint cumulative update besides the known ones (repeatable; its KB article says so)',
      }),
    /** Apply an enablement package (eKB) among the updates, which changes the release (26100 → 26200). Refused by default. */
    enablement: z.boolean().default(false).meta({
      flag: 'enablement',
      description: 'apply an enablement package (eKB) among the updates: it changes the release (26100 → 26200); refused by default',
    }),
    /** Mount folders and DISM scratch (a local NTFS disk); default <workspace>/.osmedia/scratch. */
    scratch: z.string().min(1).optional().meta({
      flag: 'scratch',
      placeholder: 'DIR',
      description: 'folder for mounts and DISM scratch, on a local NTFS disk (default <workspace>/.osmedia/scratch)',
    }),
    /** The UEFI boot manager: 'keep' (default; 2023-signed media stay 2023) or '2023' (switch to Windows UEFI CA 2023, docs/boot-media.md). */
    bootManager: BootManagerSchema,
  })
  .refine((o) => o.from !== undefined || (o.files?.length ?? 0) > 0, { error: 'name the updates: a folder (from / --updates) or files' });
export type ApplyUpdatesOptions = z.infer<typeof ApplyUpdatesOptionsSchema>;

/** Flags of the apply-updates command that are not step options (a dry run is never recorded). */
export const ApplyUpdatesFlags = z.object({
  dryRun: dryRunField('classify the updates and print the servicing plan (table, or JSON with --json); change nothing'),
  engine: engineField('takes Winre.wim and setup files out of the images: wimlib (default where installed) or dism (Windows; mounts them)'),
});

export interface Prepared {
  plan: ServicingPlan;
  files: UpdateFile[];
  ignored: string[];
}

/** The media's architecture and build, which every package must match; every image must say its version. */
function mediaTarget(manifest: Manifest, options: ApplyUpdatesOptions) {
  for (const image of manifest.installWim.images) requireVersion(image, 'install.wim');
  for (const image of manifest.bootWim?.images ?? []) requireVersion(image, 'boot.wim');
  const image = manifest.installWim.images[0]!;
  return { architecture: image.architecture, build: Number(image.version.split('.')[2]), allowEnablement: options.enablement };
}

/**
 * Collects, pins, reads and classifies the updates, and plans them for this workspace. Changes
 * nothing in the media. With `inputsDir` (apply), each update is first copied there once and hashed
 * while copied, and everything after reads only the copies (issue 16.1); without it (plan), the
 * share's files are hashed and read where they are.
 */
export async function prepareServicing(
  context: Pick<StepContext, 'workspace' | 'reporter' | 'sevenZip'>,
  manifest: Manifest,
  options: ApplyUpdatesOptions,
  inputsDir?: string,
): Promise<Prepared> {
  const collected = await collectUpdateFiles({ from: options.from, files: options.files });
  const ignored = collected.ignored;
  const total = collected.files.reduce((sum, f) => sum + f.size, 0);
  let hashed = 0;
  const onBytes = (bytes: number) => {
    hashed += bytes;
    context.reporter.emit({
      type: 'progress',
      step: 'apply-updates',
      phase: inputsDir ? 'copying and hashing updates' : 'hashing updates',
      done: hashed,
      total,
      unit: 'bytes',
    });
  };
  const { files, hashes } = inputsDir
    ? await takeInputs(collected.files, inputsDir, onBytes)
    : { files: collected.files, hashes: await checkPins(collected.files, onBytes) };
  const work = await context.workspace.tempPath('packages');
  const { packages, rejections } = await classifyUpdates(context.sevenZip, files, hashes, mediaTarget(manifest, options), work).finally(() =>
    rm(work, { recursive: true, force: true }),
  );
  // Never downgrade: the plan keeps a 2023-signed boot manager (src/media/boot/boot-files.ts).
  const mediaBoot = await readBootManager(
    context.workspace.mediaDir,
    manifest.files.map((f) => f.path),
  );
  const plan = planServicing(
    manifest,
    packages,
    { cleanup: options.cleanup, netfx3: options.netfx3, checkpoints: options.checkpoints },
    { rejections, mediaBootCa: mediaBoot?.ca, bootManager: options.bootManager },
  );
  return { plan, files, ignored };
}

/** An updates step with nothing to apply is almost always a folder that was not filled this month. */
function noUpdates(options: ApplyUpdatesOptions, ignored: readonly string[]): MediaError {
  return new MediaError(`No .msu or .cab files in ${options.from ?? 'the update list'}${ignored.length ? ` (only ${ignored.slice(0, 5).join(', ')})` : ''}`, {
    fix: "Put this month's update packages there (downloaded from the Microsoft Update Catalog), or remove the updates from the recipe. Nothing was changed.",
  });
}

function rejected(rejections: readonly Rejection[]): MediaError {
  const list = rejections.map((r) => `  ${r.fileName}: ${r.reason}`).join('\n');
  return new MediaError(`${rejections.length} update file(s) cannot service this media:\n${list}`, {
    fix: 'Remove them from the updates folder (or the recipe), or pass --skip-rejected (updates.skipRejected: true) to go on without them. Nothing was changed.',
  });
}

/** Where DISM is, if this machine has it (OSMEDIA_DISM points tests and unusual set-ups at one). */
function availableDism(): string | undefined {
  if (process.env.OSMEDIA_DISM) return process.env.OSMEDIA_DISM;
  return process.platform === 'win32' ? dismPath() : undefined;
}

function summaryOf(plan: ServicingPlan) {
  return plan.targets.map((t) => ({
    target: t.target,
    title: t.title,
    before: t.before,
    predicted: t.predicted,
    operations: t.operations.length,
    applies: t.applies.map((a) => a.kb || a.identity),
    skipped: t.skipped,
  }));
}

export type ApplyUpdatesSummary = {
  targets: ReturnType<typeof summaryOf>;
  applied: AppliedUpdate[];
  rejected: Rejection[];
  unpinned: string[];
  failures?: Failure[];
  verified?: string[];
  superseded?: ServicingPlan['superseded'];
  warnings?: string[];
  winre?: { from: string; before: string; after: string };
  build?: string;
  bootManager?: Partial<BootManagerRecord> & { notes: string[] };
};

export const applyUpdates: Step<ApplyUpdatesOptions, string[], ApplyUpdatesSummary> = {
  id: 'apply-updates',
  title: "Applying updates in Microsoft's servicing order",
  schema: ApplyUpdatesOptionsSchema,

  /** The update files (names and contents, not their folder) and the servicing options decide a skip. */
  async identity(options) {
    const { files } = await collectUpdateFiles({ from: options.from, files: options.files });
    const hashes = await Promise.all(files.map(async (f) => `${path.basename(f.file).toLowerCase()} ${await hashUpdate(f)}`));
    return {
      updates: hashes.sort(),
      cleanup: options.cleanup,
      netfx3: options.netfx3,
      continueOnError: options.continueOnError,
      skipRejected: options.skipRejected,
      ...(options.bootManager === '2023' ? { bootManager: '2023' } : {}),
      // Only when set, so that recipes without them keep the identity they had.
      ...(options.checkpoints.length > 0 ? { checkpoints: [...options.checkpoints].map((kb) => kb.toUpperCase()).sort() } : {}),
      ...(options.enablement ? { enablement: true } : {}),
    };
  },

  /**
   * The updates exist and none would be rejected (unless skipRejected): the same collection, pins
   * and classification apply() uses, on the media's architecture and build as they will be.
   */
  async preflight(context, before, options) {
    const problems: Problem[] = [];
    await check('apply-updates', problems, async () => {
      const { files, ignored } = await collectUpdateFiles({ from: options.from, files: options.files });
      if (files.length === 0) throw noUpdates(options, ignored);
      const image = before.images?.[0];
      if (!image) return; // the media is unknown (its import failed a check): nothing to classify against
      const hashes = await checkPins(files);
      const work = await mkdtemp(path.join(tmpdir(), 'osmedia-preflight-'));
      // The same media target apply() classifies against (mediaTarget): an opted-in eKB is not a rejection here either.
      const media = { architecture: image.architecture, build: Number(image.version.split('.')[2]), allowEnablement: options.enablement };
      const { rejections } = await classifyUpdates(context.sevenZip, files, hashes, media, work).finally(() => rm(work, { recursive: true, force: true }));
      if (rejections.length > 0 && !options.skipRejected) throw rejected(rejections);
    });
    return { problems };
  },

  plan(_manifest, options) {
    const source = options.from ? `the folder ${options.from}` : `${options.files?.length} file(s)`;
    return [
      `apply the updates in ${source} in Microsoft's order (WinRE, install.wim, boot.wim, media); \`osmedia apply-updates --dry-run\` shows each operation`,
    ];
  },

  async apply(context, manifest, options) {
    // The run's own copies of the updates: pinned once, then the only bytes 7-Zip and DISM read (issue 16.1).
    const inputsDir = await context.workspace.tempPath('inputs');
    try {
      return await applyPrepared(context, manifest, options, await prepareServicing(context, manifest, options, inputsDir));
    } finally {
      await rm(inputsDir, { recursive: true, force: true });
    }
  },
};

/** apply() once the updates are the run's own copies (the inner block keeps the old body as it was, for easy merges). */
async function applyPrepared(
  context: StepContext,
  manifest: Manifest,
  options: ApplyUpdatesOptions,
  prepared: Prepared,
): Promise<StepChange<ApplyUpdatesSummary>> {
  {
    const { reporter } = context;
    const { plan, ignored, files: updateFiles } = prepared;
    if (updateFiles.length === 0) {
      // An updates step with nothing to apply is almost always a folder that was not filled this month.
      throw noUpdates(options, ignored);
    }
    for (const name of ignored) reporter.emit({ type: 'info', step: 'apply-updates', message: `ignored ${name}: not a .msu or .cab file` });
    for (const line of formatPlan(plan)) reporter.emit({ type: 'info', step: 'apply-updates', message: line });
    for (const warning of plan.warnings) reporter.emit({ type: 'warning', step: 'apply-updates', message: warning });
    for (const file of plan.unpinned)
      reporter.emit({
        type: 'warning',
        step: 'apply-updates',
        message: `${file} has no SHA-256 pin (add it to SHA256SUMS in the updates folder, or a sha256 in the recipe)`,
      });
    if (plan.rejections.length > 0) {
      if (!options.skipRejected) throw rejected(plan.rejections);
      for (const r of plan.rejections) reporter.emit({ type: 'warning', step: 'apply-updates', message: `skipped ${r.fileName}: ${r.reason}` });
    }
    const active = plan.targets.filter((t) => t.operations.length > 0);
    if (active.length === 0) {
      const message = plan.packages.length === 0 ? 'no updates to apply' : 'nothing to apply: every update is already in the media';
      return {
        manifest,
        summary: {
          targets: summaryOf(plan),
          applied: [],
          rejected: plan.rejections,
          unpinned: plan.unpinned,
          superseded: plan.superseded,
          warnings: plan.warnings,
        },
        message,
      };
    }
    const dismFile = availableDism();
    if ((plan.needsDism || context.engine.name === 'dism') && !dismFile) {
      const parts = plan.targets.filter((t) => t.engine === 'dism' && t.operations.length > 0).map((t) => t.title.split(':')[0]);
      throw new MediaError(`This plan needs DISM, which runs only on Windows: ${parts.join(', ')}. Nothing was changed; the plan is shown above.`, {
        fix: 'Run apply-updates on a Windows runner with DISM (README: Windows runner set-up). Here on Linux only Setup Dynamic Updates can be applied: pass just those to see them applied and verified.',
      });
    }

    const run = new ServicingRun({
      workspace: context.workspace,
      reporter,
      sevenZip: context.sevenZip,
      // The engine (wimlib where installed, else DISM on Windows) also does the file work on WIMs.
      wimlib: context.engine.name === 'wimlib' ? context.wimlib : undefined,
      dismFile,
      bootIndex: manifest.bootWim?.bootIndex,
      mediaFiles: manifest.files.map((f) => f.path),
      scratchRoot: options.scratch ? path.resolve(options.scratch) : path.join(context.workspace.stateDir, 'scratch'),
      continueOnError: options.continueOnError,
    });
    const result = await run.execute(plan);

    // The manifest follows the files: new hashes, the images' new builds, and the applied updates.
    // Hashed two at a time: SHA-256 is CPU-bound, and the WIMs and the Setup DU's files are large.
    const changed: FileEntry[] = await mapLimit(result.renames, 2, async ({ from, to }) => {
      const info = await stat(from);
      return {
        path: path.relative(context.workspace.mediaDir, to).split(path.sep).join('/'),
        size: info.size,
        sha256: await hashFile(from),
        mtimeMs: Math.trunc(info.mtimeMs),
      };
    });
    const files = withFiles(manifest.files, changed);
    const next: Manifest = {
      ...manifest,
      installWim: result.installInfo ? { ...manifest.installWim, images: result.installInfo.images } : manifest.installWim,
      bootWim: result.bootInfo && manifest.bootWim ? { ...manifest.bootWim, images: result.bootInfo.images } : manifest.bootWim,
      files,
      fingerprint: fingerprintFiles(files),
      updates: [...manifest.updates, ...result.applied.map((a) => ({ ...a }))],
      winre: result.winre ?? manifest.winre,
    };
    // The boot manager's CA as the media now carry it (staged files are not renamed in yet: read them where they are).
    const managerRename = result.renames.find((r) => /[\\/]efi[\\/]boot[\\/]boot(x64|aa64|ia32)\.efi$/i.test(r.to));
    next.bootManager = managerRename
      ? await readBootManager(
          path.dirname(managerRename.from),
          [path.basename(managerRename.from)],
          path.relative(context.workspace.mediaDir, managerRename.to).split(path.sep).join('/'),
        )
      : await readBootManager(
          context.workspace.mediaDir,
          manifest.files.map((f) => f.path),
        );
    for (const note of result.bootNotes ?? []) reporter.emit({ type: 'info', step: 'apply-updates', message: note });
    for (const line of result.verified) reporter.emit({ type: 'info', step: 'apply-updates', message: `verified: ${line}` });
    const kbs = [...new Set(result.applied.map((a) => a.kb).filter(Boolean))];
    const build = next.installWim.images[0]?.version;
    return {
      manifest: next,
      renames: result.renames,
      cleanup: result.cleanup,
      summary: {
        targets: summaryOf(plan),
        applied: result.applied,
        failures: result.failures,
        verified: result.verified,
        rejected: plan.rejections,
        unpinned: plan.unpinned,
        superseded: plan.superseded,
        warnings: [...plan.warnings, ...result.warnings],
        winre: result.winre,
        build,
        bootManager: { ...next.bootManager, notes: result.bootNotes ?? [] },
      },
      message: `applied ${kbs.length ? kbs.join(', ') : 'no package'} to ${active.length} target(s)${result.failures.length ? `; ${result.failures.length} failure(s) recorded (--continue-on-error)` : ''}${result.warnings.length ? `; ${result.warnings.length} warning(s)` : ''}; install.wim ${build}`,
    };
  }
}
