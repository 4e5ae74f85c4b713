// apply-updates: classify the update packages by content, plan the servicing in Microsoft's
// documented order, execute it (DISM for images; wimlib and 7-Zip for the rest), verify the result,
// and record per image what was applied. On a machine without DISM, a plan that needs it stops
// before anything changes, after showing the plan.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { dismPath } from '../imaging/dism.ts';
import { fingerprintFiles, withFiles, type FileEntry, type Manifest } from '../media/manifest.ts';
import { ServicingRun } from '../updates/execute.ts';
import { checkPins, classifyUpdates, collectUpdateFiles, hashUpdate, takeInputs, type UpdateFile } from '../updates/inputs.ts';
import { formatPlan, planServicing, type ServicingPlan } from '../updates/plan.ts';
import { MediaError } from '../util/errors.ts';
import { hashFile, mapLimit } from '../util/fs.ts';
import type { Step, StepChange, StepContext } from './types.ts';

export const ApplyUpdatesOptionsSchema = z
  .strictObject({
    /** A folder of .msu/.cab files; a SHA256SUMS file in it pins them. */
    from: z.string().min(1).optional(),
    /** Update files, each optionally pinned by SHA-256. */
    files: z
      .array(
        z.strictObject({
          path: z.string().min(1),
          sha256: z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 is 64 hexadecimal digits')
            .optional(),
        }),
      )
      .optional(),
    /** /StartComponentCleanup after the updates (ResetBase for WinRE and boot.wim only). */
    cleanup: z.boolean().default(true),
    /** Enable .NET Framework 3.5 in install.wim images (from sources/sxs), after cleanup. */
    netfx3: z.boolean().default(false),
    /** As ConfigMgr's "Continue on error": record a failed package and go on; the default discards the image. */
    continueOnError: z.boolean().default(false),
    /** Go on when some files are rejected (express CABs, other architectures…); they are still reported. */
    skipRejected: z.boolean().default(false),
    /** Mount folders and DISM scratch (a local NTFS disk); default <workspace>/.osmedia/scratch. */
    scratch: z.string().min(1).optional(),
  })
  .refine((o) => o.from !== undefined || (o.files?.length ?? 0) > 0, { message: 'name the updates: a folder (from / --updates) or files' });
export type ApplyUpdatesOptions = z.infer<typeof ApplyUpdatesOptionsSchema>;

export interface Prepared {
  plan: ServicingPlan;
  files: UpdateFile[];
  ignored: string[];
}

/** The media's architecture and build, which every package must match. */
function mediaTarget(manifest: Manifest) {
  const image = manifest.installWim.images[0]!;
  return { architecture: image.architecture, build: Number(image.version.split('.')[2]) };
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
  const { packages, rejections } = await classifyUpdates(context.sevenZip, files, hashes, mediaTarget(manifest), work).finally(() =>
    rm(work, { recursive: true, force: true }),
  );
  const plan = planServicing(manifest, packages, { cleanup: options.cleanup, netfx3: options.netfx3 }, { rejections });
  return { plan, files, ignored };
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

export const applyUpdates: Step<ApplyUpdatesOptions> = {
  id: 'apply-updates',
  title: "Applying updates in Microsoft's servicing order",
  schema: ApplyUpdatesOptionsSchema as unknown as z.ZodType<ApplyUpdatesOptions>,

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
    };
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
async function applyPrepared(context: StepContext, manifest: Manifest, options: ApplyUpdatesOptions, prepared: Prepared): Promise<StepChange> {
  {
    const { reporter } = context;
    const { plan, ignored, files: updateFiles } = prepared;
    if (updateFiles.length === 0) {
      // An updates step with nothing to apply is almost always a folder that was not filled this month.
      throw new MediaError(
        `No .msu or .cab files in ${options.from ?? 'the update list'}${ignored.length ? ` (only ${ignored.slice(0, 5).join(', ')})` : ''}`,
        {
          fix: "Put this month's update packages there (downloaded from the Microsoft Update Catalog), or remove the updates from the recipe. Nothing was changed.",
        },
      );
    }
    for (const name of ignored) reporter.emit({ type: 'info', step: 'apply-updates', message: `ignored ${name}: not a .msu or .cab file` });
    for (const line of formatPlan(plan)) reporter.emit({ type: 'info', step: 'apply-updates', message: line });
    for (const file of plan.unpinned)
      reporter.emit({
        type: 'warning',
        step: 'apply-updates',
        message: `${file} has no SHA-256 pin (add it to SHA256SUMS in the updates folder, or a sha256 in the recipe)`,
      });
    if (plan.rejections.length > 0) {
      const list = plan.rejections.map((r) => `  ${r.fileName}: ${r.reason}`).join('\n');
      if (!options.skipRejected) {
        throw new MediaError(`${plan.rejections.length} update file(s) cannot service this media:\n${list}`, {
          fix: 'Remove them from the updates folder (or the recipe), or pass --skip-rejected (updates.skipRejected: true) to go on without them. Nothing was changed.',
        });
      }
      for (const r of plan.rejections) reporter.emit({ type: 'warning', step: 'apply-updates', message: `skipped ${r.fileName}: ${r.reason}` });
    }
    const active = plan.targets.filter((t) => t.operations.length > 0);
    if (active.length === 0) {
      const message = plan.packages.length === 0 ? 'no updates to apply' : 'nothing to apply: every update is already in the media';
      return { manifest, summary: { targets: summaryOf(plan), applied: [], rejected: plan.rejections, unpinned: plan.unpinned }, message };
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
      updates: [...manifest.updates, ...(result.applied as unknown as Record<string, unknown>[])],
    };
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
        build,
      },
      message: `applied ${kbs.length ? kbs.join(', ') : 'no package'} to ${active.length} target(s)${result.failures.length ? `; ${result.failures.length} failure(s) recorded (--continue-on-error)` : ''}; install.wim ${build}`,
    };
  }
}
