// The GitHub Action: inputs → step options, the same step registry as the CLI, then outputs, a
// job summary and annotations. The top-level action runs a recipe (or one step); each sub-action
// in actions/<step>/ runs one step. Bundled into dist/ by `npm run bundle`.
import * as core from '@actions/core';
import path from 'node:path';
import { createContext } from '../context.ts';
import type { Manifest } from '../media/manifest.ts';
import { runRecipe } from '../pipeline/run-recipe.ts';
import { runStep, type StepRunResult } from '../pipeline/run-step.ts';
import { loadRecipe, recipeWorkspace } from '../recipe/load.ts';
import { getStep, steps, type StepId } from '../steps/index.ts';
import { splitSelectors } from '../steps/strip-indexes.ts';
import { describeError, UsageError } from '../util/errors.ts';
import { CollectingReporter, ConsoleReporter, fanOut, formatBytes, type OsmediaEvent, type Reporter } from '../util/events.ts';
import { Inputs, Outputs } from './inputs.ts';
import { restoreImport, restoreUpdates, saveImport, saveUpdates, uploadArtifacts } from './keep.ts';
import { Workspace } from '../media/workspace.ts';
import type { TargetResult } from '../distribute/publish.ts';
import type { SiteResult } from '../configmgr/run-site.ts';

const optional = (name: string) => core.getInput(name) || undefined;
/** Names and messages come from media, recipes and tools: escaped before they go into the summary's HTML. */
const h = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const lines = (name: string) =>
  core
    .getMultilineInput(name)
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
const flag = (name: string) => (core.getInput(name) ? core.getBooleanInput(name) : undefined);
const number = (name: string) => (core.getInput(name) ? Number(core.getInput(name)) : undefined);

/** Step options from the step's inputs (empty inputs are left out, so defaults apply). */
export function optionsFromInputs(step: StepId): Record<string, unknown> {
  switch (step) {
    case 'import-media':
      return { source: optional(Inputs.source), sha256: optional(Inputs.sha256), compression: optional(Inputs.compression) };
    case 'strip-indexes':
      return { keep: splitSelectors(lines(Inputs.keep)) };
    case 'apply-updates':
      return {
        from: optional(Inputs.updates),
        continueOnError: flag(Inputs.continueOnError),
        skipRejected: flag(Inputs.skipRejected),
        netfx3: flag(Inputs.netfx3),
        scratch: optional(Inputs.scratch),
      };
    case 'stamp-build-file':
      return { file: optional(Inputs.file), revision: optional(Inputs.revision) ?? process.env.GITHUB_SHA };
    case 'distribute':
      return {
        targets: lines(Inputs.targets),
        layout: optional(Inputs.layout),
        keep: number(Inputs.keepVersions),
        wait: number(Inputs.wait),
        site:
          optional(Inputs.siteCode) === undefined
            ? undefined
            : {
                siteCode: optional(Inputs.siteCode),
                provider: optional(Inputs.provider),
                upgradePackageName: optional(Inputs.upgradePackageName),
                imagePackageName: optional(Inputs.imagePackageName),
                acceptLicense: flag(Inputs.acceptLicense) === true ? true : undefined,
                distributionPointGroups: lines(Inputs.dpGroups),
                distributionPoints: lines(Inputs.dps),
                waitDistribution: number(Inputs.waitDistribution),
              },
      };
    case 'generate-task-sequence':
      return {
        out: optional(Inputs.out),
        edition: optional(Inputs.edition),
        packageId: optional(Inputs.packageIdInput),
        name: optional(Inputs.name),
        scanOnly: flag(Inputs.scanOnly),
        dynamicUpdate: optional(Inputs.dynamicUpdate),
        setupOptions: optional(Inputs.setupOptions),
      };
  }
}

/** Warnings and errors become annotations; everything else goes to the log. */
function annotations(): Reporter {
  return {
    emit(event) {
      if (event.type === 'warning') core.warning(event.message, { title: `osmedia ${event.step ?? ''}`.trim() });
      if (event.type === 'step-finished' && event.error)
        core.error(`${event.error.message}${event.error.fix ? `\nfix: ${event.error.fix}` : ''}`, { title: `osmedia ${event.step} failed` });
    },
  };
}

/** The job summary: images kept, size, what each step did, where the media went. */
export async function writeSummary(events: readonly OsmediaEvent[], results: StepRunResult[], manifest: Manifest | undefined): Promise<void> {
  const summary = core.summary.addHeading('osmedia', 2);
  if (manifest) {
    summary.addRaw(`Build <b>${h(manifest.installWim.images[0]?.version ?? 'unknown')}</b> from <code>${h(path.basename(manifest.source.path))}</code>`, true);
    summary.addTable([
      [
        { data: 'Index', header: true },
        { data: 'Name', header: true },
        { data: 'EditionID', header: true },
        { data: 'Build', header: true },
        { data: 'Arch', header: true },
        { data: 'Languages', header: true },
      ],
      ...manifest.installWim.images.map((i) => [String(i.index), i.name, i.editionId, i.version, i.architecture, i.languages.join(', ')].map(h)),
    ]);
  }
  summary.addTable([
    [
      { data: 'Step', header: true },
      { data: 'Result', header: true },
      { data: 'What happened', header: true },
    ],
    // From the events, so a failed step (and the ones it kept from running) is listed too.
    ...events.flatMap((e) =>
      e.type === 'step-finished'
        ? [[e.step, e.result, e.error ? `${e.error.message}${e.error.fix ? ` — fix: ${e.error.fix}` : ''}` : (e.message ?? '')].map(h)]
        : [],
    ),
  ]);
  const strip = results.find((r) => r.step === 'strip-indexes' && r.result === 'succeeded')?.summary as
    { bytesBefore?: number; bytesAfter?: number } | undefined;
  if (strip?.bytesBefore !== undefined) summary.addRaw(`install.wim: ${formatBytes(strip.bytesBefore)} → ${formatBytes(strip.bytesAfter ?? 0)}`, true);
  const servicing = results.find((r) => r.step === 'apply-updates' && r.result === 'succeeded')?.summary as
    | {
        targets?: { title: string; before?: string; predicted?: string; applies: string[] }[];
        verified?: string[];
        failures?: { target: string; operation: string; message: string }[];
        rejected?: { fileName: string; reason: string }[];
        superseded?: { kb: string; reason: string }[];
        warnings?: string[];
      }
    | undefined;
  if (servicing?.targets) {
    summary.addHeading('Updates', 3).addTable([
      [
        { data: 'Image', header: true },
        { data: 'Before', header: true },
        { data: 'After', header: true },
        { data: 'Applied', header: true },
      ],
      ...servicing.targets.map((t) => [t.title, t.before ?? '—', t.predicted ?? '—', t.applies.join(', ') || 'nothing new'].map(h)),
    ]);
    if (servicing.verified?.length) summary.addList(servicing.verified.map((v) => h(`verified: ${v}`)));
    if (servicing.failures?.length) summary.addList(servicing.failures.map((f) => h(`failed (continue-on-error) ${f.target}: ${f.message}`)));
    if (servicing.rejected?.length) summary.addList(servicing.rejected.map((r) => h(`rejected ${r.fileName}: ${r.reason}`)));
    if (servicing.superseded?.length) summary.addList(servicing.superseded.map((s) => h(`superseded ${s.kb}: ${s.reason}`)));
    if (servicing.warnings?.length) summary.addList(servicing.warnings.map((w) => h(`warning: ${w}`)));
  }
  const targets = results.flatMap((r) => (r.step === 'distribute' ? ((r.summary as { targets?: TargetResult[] }).targets ?? []) : []));
  if (targets.length > 0) {
    summary.addHeading('Distribution', 3).addTable([
      [
        { data: 'Target', header: true },
        { data: 'Version', header: true },
        { data: 'Result', header: true },
        { data: 'Copied', header: true },
        { data: 'Linked', header: true },
        { data: 'Unchanged', header: true },
        { data: 'Verified', header: true },
      ],
      ...targets.map((t) =>
        [
          t.target,
          t.version,
          t.action,
          String(t.filesCopied),
          String(t.filesLinked),
          String(t.filesSkipped),
          t.verified.ok ? `${t.verified.files} files ok` : 'no',
        ].map(h),
      ),
    ]);
  }
  const siteResult = (
    results.find((r) => r.step === 'distribute')?.summary as
      { site?: Pick<SiteResult, 'siteCode' | 'upgradePackage' | 'imagePackage' | 'changes' | 'notes' | 'distribution'> } | undefined
  )?.site;
  if (siteResult?.upgradePackage) {
    summary.addHeading(`ConfigMgr site ${siteResult.siteCode}`, 3);
    summary.addRaw(
      `OS upgrade package <b>${h(siteResult.upgradePackage.packageId)}</b> (${h(siteResult.upgradePackage.name)}): ${h(siteResult.upgradePackage.action)}${siteResult.imagePackage ? `; OS image ${h(siteResult.imagePackage.packageId)}: ${h(siteResult.imagePackage.action)}` : ''}`,
      true,
    );
    const said = [...(siteResult.changes ?? []), ...(siteResult.notes ?? []).map((n) => `note: ${n}`)];
    summary.addList(said.length ? said.map(h) : ['no changes on the site']);
    if (siteResult.distribution.length > 0) {
      summary.addTable([
        [
          { data: 'Distribution point', header: true },
          { data: 'Package', header: true },
          { data: 'State', header: true },
        ],
        ...siteResult.distribution.map((d) => [d.distributionPoint, d.packageId, d.state].map(h)),
      ]);
    }
  }
  const ts = results.find((r) => r.step === 'generate-task-sequence' && r.result === 'succeeded')?.summary as
    { name?: string; xml?: string; packageId?: string; placeholder?: boolean; edition?: string; editionIndex?: number } | undefined;
  if (ts?.xml) {
    summary
      .addHeading('Task sequence', 3)
      .addRaw(
        `<b>${h(ts.name)}</b>: <code>${h(ts.xml)}</code>, package ${h(ts.packageId)}${ts.placeholder ? ' (placeholder)' : ''}, edition ${h(ts.editionIndex)} (${h(ts.edition)})`,
        true,
      );
  }
  await summary.write();
}

/** Runs the action: the recipe, or one step (fixed for a sub-action, or the `step` input). */
export async function runAction(fixedStep?: StepId): Promise<void> {
  const collected = new CollectingReporter();
  const reporter = fanOut(new ConsoleReporter({ stream: process.stdout, tty: false }), annotations(), collected);
  let results: StepRunResult[] = [];
  let workspace: string | undefined;
  try {
    const recipe = fixedStep ? undefined : optional(Inputs.recipe);
    const stepInput = fixedStep ?? (optional(Inputs.step) as StepId | undefined);
    if (recipe) {
      let loaded = await loadRecipe(recipe);
      workspace = recipeWorkspace(loaded, optional(Inputs.workspace));
      const context = createContext({ workspace, reporter, force: core.getBooleanInput(Inputs.force) });
      // The caches, as for the sub-actions: the import of a pinned ISO, and a pinned updates folder.
      const useCache = core.getBooleanInput(Inputs.cache);
      const compression = loaded.recipe.media.compression ?? 'LZX';
      if (useCache && !context.force) await restoreImport(context.workspace, loaded.recipe.media.sha256, compression);
      const from = loaded.recipe.updates?.from === undefined ? undefined : path.resolve(loaded.dir, loaded.recipe.updates.from);
      const updatesCache = useCache && from ? await restoreUpdates(from) : undefined;
      // The folder is not part of the step's identity (the files are), so reading from the cache skips nothing it should not.
      if (updatesCache?.hit) loaded = { ...loaded, recipe: { ...loaded.recipe, updates: { ...loaded.recipe.updates!, from: updatesCache.dir } } };
      results = (await runRecipe(loaded, context)).steps;
      const imported = results.find((r) => r.step === 'import-media' && r.result === 'succeeded');
      if (useCache && imported) await saveImport(context.workspace, imported.manifest.source.sha256, compression);
      if (updatesCache && !updatesCache.hit && results.some((r) => r.step === 'apply-updates' && r.result === 'succeeded'))
        await saveUpdates(from!, updatesCache.key, updatesCache.dir);
    } else {
      if (!stepInput || !Object.hasOwn(steps, stepInput)) {
        throw new UsageError(`Give the action a recipe, or a step (${Object.keys(steps).join(', ')})${stepInput ? `: "${stepInput}" is not one` : ''}`, {
          fix: "Set the `recipe` input to your osmedia.yml, or `step` and that step's inputs.",
        });
      }
      workspace = core.getInput(Inputs.workspace, { required: true });
      const context = createContext({ workspace, reporter, force: stepInput === 'import-media' && core.getBooleanInput(Inputs.force) });
      const options = optionsFromInputs(stepInput);
      const useCache = (stepInput === 'import-media' || stepInput === 'apply-updates') && core.getBooleanInput(Inputs.cache);
      if (useCache && stepInput === 'import-media')
        await restoreImport(context.workspace, options.sha256 as string | undefined, (options.compression as string | undefined) ?? 'LZX');
      // A pinned updates folder (a share) is read from a local copy the cache restored, when there is one.
      const from = options.from as string | undefined;
      const updatesCache = useCache && stepInput === 'apply-updates' && from ? await restoreUpdates(from) : undefined;
      if (updatesCache?.hit) options.from = updatesCache.dir;
      results = [await runStep(getStep(stepInput), options, context, `osmedia action (${stepInput})`)];
      const done = results[0]!;
      if (useCache && stepInput === 'import-media' && done.result === 'succeeded')
        await saveImport(context.workspace, done.manifest.source.sha256, (options.compression as string | undefined) ?? 'LZX');
      if (updatesCache && !updatesCache.hit && done.result === 'succeeded') await saveUpdates(from!, updatesCache.key, updatesCache.dir);
    }
    const manifest = results.at(-1)?.manifest;
    const published = results.flatMap((r) => (r.summary as { targets?: TargetResult[] }).targets ?? []);
    core.setOutput(Outputs.workspace, path.resolve(workspace));
    core.setOutput(Outputs.manifest, path.join(path.resolve(workspace), 'osmedia-manifest.json'));
    core.setOutput(Outputs.build, manifest?.installWim.images[0]?.version ?? '');
    core.setOutput(Outputs.changed, String(results.some((r) => r.result === 'succeeded')));
    core.setOutput(Outputs.version, published[0]?.version ?? '');
    const ts = results.find((r) => r.step === 'generate-task-sequence')?.summary as { xml?: string } | undefined;
    core.setOutput(Outputs.taskSequence, ts?.xml ?? '');
    // The OS upgrade package the site created or repointed (distribute with a site), else the one the task sequence names.
    const site = results.find((r) => r.step === 'distribute')?.summary as { site?: { upgradePackage?: { packageId?: string } } } | undefined;
    const tsPackage = results.find((r) => r.step === 'generate-task-sequence')?.summary as { packageId?: string; placeholder?: boolean } | undefined;
    core.setOutput(Outputs.packageId, site?.site?.upgradePackage?.packageId ?? (tsPackage && !tsPackage.placeholder ? tsPackage.packageId : undefined) ?? '');
    await writeSummary(collected.events, results, manifest);
  } catch (error) {
    const described = describeError(error);
    await writeSummary(collected.events, results, results.at(-1)?.manifest).catch(() => {});
    core.setFailed(`${described.message}${described.fix ? `\nfix: ${described.fix}` : ''}${described.logPath ? `\nlog: ${described.logPath}` : ''}`);
  }
  // Kept on failure too: that is when the manifest and the tool logs are needed most.
  try {
    if (workspace && core.getBooleanInput(Inputs.artifacts)) {
      await uploadArtifacts(new Workspace(workspace), optional(Inputs.artifactName) ?? `osmedia-${path.basename(path.resolve(workspace))}`);
    }
  } catch (error) {
    core.notice(`No artifact: ${(error as Error).message}`, { title: 'osmedia' });
  }
}
