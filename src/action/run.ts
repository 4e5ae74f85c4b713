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
import { getStep, steps, summaryOf, type StepId } from '../steps/index.ts';
import { buildOptions, type Field } from '../steps/fields.ts';
import { describeIssues, keysAt } from '../steps/issues.ts';
import { hostFields, stepFields, surfaces } from '../steps/surface.ts';
import { describeError, EXIT_MEANINGS, ExitCode, exitCodeOf, UsageError } from '../util/errors.ts';
import { CollectingReporter, ConsoleReporter, fanOut, formatBytes, type OsmediaEvent, type Reporter } from '../util/events.ts';
import { Inputs, Outputs } from './inputs.ts';
import { restoreImport, restoreUpdates, saveImport, saveUpdates, uploadArtifacts } from './keep.ts';
import { Workspace } from '../media/workspace.ts';

const optional = (name: string) => core.getInput(name) || undefined;
/** A boolean input; empty (not given, no default in that action.yml) is the fallback. */
function bool(name: string, fallback: boolean): boolean {
  const value = core.getInput(name);
  if (!value) return fallback;
  if (!/^(true|True|TRUE|false|False|FALSE)$/.test(value))
    throw new UsageError(`The input ${name} is "${value}", not a boolean`, { fix: `Set ${name} to true or false (or leave it out).` });
  return core.getBooleanInput(name);
}
/** Names and messages come from media, recipes and tools: escaped before they go into the summary's HTML. */
const h = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** What the Action read for a field: lists one per line, booleans as YAML 1.2 booleans, empty as not given. */
function readInput(field: Field): string | boolean | string[] | undefined {
  const former = (field.meta.formerInputs ?? []).find((n) => core.getInput(n));
  if (former && !core.getInput(field.meta.flag!))
    core.warning(`The input ${former} is now ${field.meta.flag!} (as the CLI flag --${field.meta.flag!}); rename it.`);
  const name = core.getInput(field.meta.flag!) || !former ? field.meta.flag! : former;
  const given = core.getInput(name) || (field.meta.actionEnv ? process.env[field.meta.actionEnv] : undefined);
  if (!given) return undefined;
  if (field.kind === 'boolean') return bool(name, false);
  if (field.kind === 'list') return core.getMultilineInput(name);
  return given;
}

/** Step options from the step's inputs (empty inputs are left out, so defaults apply); the fields come from the step's surface. */
export function optionsFromInputs(step: StepId): Record<string, unknown> {
  const optionPaths = new Set(stepFields(step).options.map((f) => f.path.join('.')));
  const options = buildOptions(
    hostFields(step, 'action').filter((f) => optionPaths.has(f.path.join('.'))),
    readInput,
  );
  checkInputs(step, options);
  return options;
}

/** Validates a step's options with messages that name the Action's inputs. */
function checkInputs(step: StepId, options: Record<string, unknown>): void {
  const parsed = surfaces[step].options.safeParse(options);
  if (parsed.success) return;
  const byPath = new Map(stepFields(step).options.map((f) => [f.path.join('.'), f.meta.flag]));
  const name = (p: PropertyKey[]) => {
    const input = byPath.get(p.map(String).join('.'));
    return input ? `input ${input}` : p.map(String).join('.');
  };
  const lines = describeIssues(parsed.error.issues, options, { name, keys: (p) => keysAt(surfaces[step].options, p) });
  throw new UsageError(lines.length === 1 ? lines[0]! : `Invalid inputs:\n${lines.map((l) => `  ${l}`).join('\n')}`, {
    fix: `Set the inputs named above (actions/${step}/action.yml lists them).`,
  });
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
  const succeeded = results.filter((r) => r.result === 'succeeded');
  const strip = summaryOf(succeeded, 'strip-indexes');
  if (strip?.bytesBefore !== undefined) summary.addRaw(`install.wim: ${formatBytes(strip.bytesBefore)} → ${formatBytes(strip.bytesAfter ?? 0)}`, true);
  const servicing = summaryOf(succeeded, 'apply-updates');
  if (servicing) {
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
    if (servicing.rejected.length) summary.addList(servicing.rejected.map((r) => h(`rejected ${r.fileName}: ${r.reason}`)));
    if (servicing.superseded?.length) summary.addList(servicing.superseded.map((s) => h(`superseded ${s.kb}: ${s.reason}`)));
    if (servicing.warnings?.length) summary.addList(servicing.warnings.map((w) => h(`warning: ${w}`)));
  }
  const targets = summaryOf(results, 'distribute')?.targets ?? [];
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
  const siteResult = summaryOf(results, 'distribute')?.site;
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
  const ts = summaryOf(succeeded, 'generate-task-sequence');
  if (ts) {
    summary
      .addHeading('Task sequence', 3)
      .addRaw(
        `<b>${h(ts.name)}</b>: <code>${h(ts.xml)}</code>, package ${h(ts.packageId)}${ts.placeholder ? ' (placeholder)' : ''}, edition ${h(ts.editionIndex)} (${h(ts.edition)})`,
        true,
      );
  }
  await summary.write();
}

/**
 * The action's outputs, each from the summary of the step that produces it, on this run: distribute's
 * (published or found up to date) for version and the site's package, generate-task-sequence's for
 * the task sequence (and the package when no site ran), the last manifest for the build.
 */
export function actionOutputs(
  results: readonly StepRunResult[],
  workspace: string,
): Record<Exclude<(typeof Outputs)[keyof typeof Outputs], typeof Outputs.exitCode>, string> {
  const manifest = results.at(-1)?.manifest;
  const distributed = summaryOf(results, 'distribute');
  const ts = summaryOf(results, 'generate-task-sequence');
  return {
    [Outputs.workspace]: workspace,
    [Outputs.manifest]: path.join(workspace, 'osmedia-manifest.json'),
    [Outputs.build]: manifest?.installWim.images[0]?.version ?? '',
    [Outputs.changed]: String(results.some((r) => r.result === 'succeeded')),
    [Outputs.version]: distributed?.targets[0]?.version ?? '',
    [Outputs.taskSequence]: ts?.xml ?? '',
    // The OS upgrade package the site created or repointed (distribute with a site), else the one the task sequence names.
    [Outputs.packageId]: distributed?.site?.upgradePackage.packageId ?? (ts && !ts.placeholder ? ts.packageId : undefined) ?? '',
  };
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
      const context = createContext({ workspace, reporter, force: bool(Inputs.force, false), engine: optional(Inputs.engine) });
      // The caches, as for the sub-actions: the import of a pinned ISO, and a pinned updates folder.
      const useCache = bool(Inputs.cache, true);
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
      const context = createContext({
        workspace,
        reporter,
        force: stepInput === 'import-media' && bool(Inputs.force, false),
        engine: optional(Inputs.engine),
      });
      const options = optionsFromInputs(stepInput);
      const useCache = (stepInput === 'import-media' || stepInput === 'apply-updates') && bool(Inputs.cache, true);
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
    const outputs = actionOutputs(results, path.resolve(workspace));
    core.setOutput(Outputs.workspace, outputs[Outputs.workspace]);
    core.setOutput(Outputs.manifest, outputs[Outputs.manifest]);
    core.setOutput(Outputs.build, outputs[Outputs.build]);
    core.setOutput(Outputs.changed, outputs[Outputs.changed]);
    core.setOutput(Outputs.version, outputs[Outputs.version]);
    core.setOutput(Outputs.taskSequence, outputs[Outputs.taskSequence]);
    core.setOutput(Outputs.packageId, outputs[Outputs.packageId]);
    await writeSummary(collected.events, results, manifest);
    core.setOutput(Outputs.exitCode, String(ExitCode.ok));
  } catch (error) {
    const described = describeError(error);
    // The exit-code table (src/util/errors.ts): the step fails either way; the code says why (3: locked by another run).
    const code = exitCodeOf(error);
    core.setOutput(Outputs.exitCode, String(code));
    await writeSummary(collected.events, results, results.at(-1)?.manifest).catch(() => {});
    core.setFailed(
      `${EXIT_MEANINGS[code]} (exit ${code}): ${described.message}${described.fix ? `\nfix: ${described.fix}` : ''}${described.logPath ? `\nlog: ${described.logPath}` : ''}`,
    );
    process.exitCode = code; // after setFailed, which sets 1
  }
  // Kept on failure too: that is when the manifest and the tool logs are needed most.
  try {
    if (workspace && bool(Inputs.artifacts, true)) {
      await uploadArtifacts(new Workspace(workspace), optional(Inputs.artifactName) ?? `osmedia-${path.basename(path.resolve(workspace))}`);
    }
  } catch (error) {
    core.notice(`No artifact: ${(error as Error).message}`, { title: 'osmedia' });
  }
}
