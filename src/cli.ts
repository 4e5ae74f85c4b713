// `osmedia <command>`: the CLI for people and for Jenkins. It parses flags, builds a context and
// hands over to the step registry; every error passes the funnel in main(). Modules only some
// commands need are loaded by those commands, so a step starts quickly on a build agent.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsOptionDescriptor } from 'node:util';
import { createContext } from './context.ts';
import { runStep, type StepRunResult } from './pipeline/run-step.ts';
import { getStep, type StepId } from './steps/index.ts';
import { splitSelectors } from './steps/strip-indexes.ts';
import { CollectingReporter, ConsoleReporter, fanOut, type Reporter } from './util/events.ts';
import { writeFileAtomic } from './util/fs.ts';
import { renderJUnit } from './report/junit.ts';
import { describeError, exitCodeOf, ExitCode, UsageError } from './util/errors.ts';
import { OSMEDIA_VERSION } from './version.ts';

type Values = Record<string, string | boolean | string[] | undefined> & { fileArgs?: Record<string, unknown> };

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

interface Outcome {
  result: unknown;
  text: string;
  /** Non-zero when the command ran but found a problem (none yet among these commands). */
  exitCode?: number;
}

interface Command {
  summary: string;
  usage: string;
  options: Record<string, ParseArgsOptionDescriptor & { description: string; placeholder?: string }>;
  positionals?: string;
  run(values: Values, positionals: string[], reporter: Reporter): Promise<Outcome>;
}

const common = {
  json: { type: 'boolean', description: 'print one JSON result object on stdout (logs stay on stderr)' },
  'result-file': { type: 'string', description: 'also write that JSON result object to FILE (success or failure)', placeholder: 'FILE' },
  'args-file': { type: 'string', description: 'read the options from a JSON object in FILE (keys as in the recipe or --json; flags given on the command line win)', placeholder: 'FILE' },
  junit: { type: 'string', description: 'write a JUnit XML report to FILE: one test case per step (for Jenkins\' junit step)', placeholder: 'FILE' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  quiet: { type: 'boolean', short: 'q', description: 'print only warnings and errors on stderr' },
} as const;

const workspaceOption = { type: 'string', short: 'w', description: 'the workspace folder (holds media/ and osmedia-manifest.json)', placeholder: 'DIR' } as const;
const engineOption = { type: 'string', description: 'WIM engine: wimlib (default) or dism (Windows only)', placeholder: 'NAME' } as const;

function requireValue(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`, { fix: `Pass --${name} (see --help).` });
  return value;
}

function stepText(result: StepRunResult): string {
  return `${result.step}: ${result.result} — ${result.message}`;
}

/** Options from --args-file, overridden by the flags actually given on the command line. */
function mergeArgs(fileArgs: Record<string, unknown>, flags: Record<string, unknown>): Record<string, unknown> {
  return { ...fileArgs, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) };
}

/** A step's options (args file, then flags) and its context (workspace from the flag or the args file). */
function stepInvocation(values: Values, flagOptions: Record<string, unknown>, reporter: Reporter, required: string[] = []) {
  const { workspace, force, engine, ...fileOptions } = (values.fileArgs ?? {}) as Record<string, unknown>;
  const options = mergeArgs(fileOptions, flagOptions);
  for (const name of required) {
    if (options[name] === undefined) throw new UsageError(`--${name} is required`, { fix: `Pass --${name} (or "${name}" in the --args-file); see --help.` });
  }
  const workspaceDir = (values.workspace as string | undefined) ?? (typeof workspace === 'string' ? workspace : undefined);
  if (!workspaceDir) throw new UsageError('--workspace is required', { fix: 'Pass --workspace DIR (or "workspace" in the --args-file).' });
  const context = createContext({ workspace: workspaceDir, reporter, force: values.force === true || force === true, engine: (values.engine as string | undefined) ?? (engine as string | undefined) });
  return { options, context };
}

async function runSingleStep(id: StepId, values: Values, flagOptions: Record<string, unknown>, reporter: Reporter, required: string[] = []): Promise<Outcome> {
  const { options, context } = stepInvocation(values, flagOptions, reporter, required);
  const result = await runStep(getStep(id), options, context, `osmedia ${id}`);
  const { manifest, ...rest } = result;
  return {
    result: { ...rest, workspace: context.workspace.root, manifestPath: context.workspace.manifestPath, build: manifest.installWim.images[0]?.version, images: manifest.installWim.images },
    text: stepText(result),
  };
}

const commands: Record<string, Command> = {
  'import-media': {
    summary: 'import an ISO or an extracted media folder into a workspace (the source is never modified)',
    usage: 'osmedia import-media --source PATH --workspace DIR [--sha256 HEX] [--compression LZX|XPRESS|LZMS|none] [--force]',
    options: {
      source: { type: 'string', short: 's', description: 'an ISO, or a folder with setup.exe and sources/install.wim|esd|swm', placeholder: 'PATH' },
      workspace: workspaceOption,
      sha256: { type: 'string', description: 'expected SHA-256 of the ISO; a mismatch stops the import', placeholder: 'HEX' },
      compression: { type: 'string', description: 'compression of install.wim made from install.esd or .swm (default LZX)', placeholder: 'TYPE' },
      force: { type: 'boolean', short: 'f', description: 'replace the media/ folder and manifest the workspace already holds (other files are left alone)' },
      engine: engineOption,
    },
    run: (values, _p, reporter) =>
      runSingleStep('import-media', values, { source: values.source, sha256: values.sha256, compression: values.compression }, reporter, ['source']),
  },
  'strip-indexes': {
    summary: 'keep only the chosen editions in install.wim',
    usage: 'osmedia strip-indexes --workspace DIR --keep SELECTOR[,SELECTOR…] [--keep SELECTOR …]',
    options: {
      workspace: workspaceOption,
      keep: { type: 'string', short: 'k', multiple: true, description: 'an EditionID (Enterprise), an exact image name, or a 1-based index; repeatable or comma-separated', placeholder: 'SELECTOR' },
      engine: engineOption,
    },
    run: (values, _p, reporter) => runSingleStep('strip-indexes', values, { keep: values.keep ? splitSelectors(values.keep as string[]) : undefined }, reporter),
  },
  'stamp-build-file': {
    summary: 'remove autorun.inf and write the build file (text + JSON) onto the media',
    usage: 'osmedia stamp-build-file --workspace DIR [--file sources/osmedia-build.txt] [--revision REV]',
    options: {
      workspace: workspaceOption,
      file: { type: 'string', description: 'path of the build file inside the media (default sources/osmedia-build.txt; the JSON twin goes beside it)', placeholder: 'PATH' },
      revision: { type: 'string', description: 'the recipe revision to record (default: none, or the recipe repository\'s git commit under `run`)', placeholder: 'REV' },
      engine: engineOption,
    },
    run: (values, _p, reporter) => runSingleStep('stamp-build-file', values, { file: values.file, revision: values.revision }, reporter),
  },
  distribute: {
    summary: 'publish the workspace media to package source folders, verified (versioned or mirror layout)',
    usage: 'osmedia distribute --workspace DIR --target DIR [--target DIR …] [--layout versioned|mirror] [--keep N] [--wait SECONDS] [--dry-run]',
    options: {
      workspace: workspaceOption,
      target: { type: 'string', short: 't', multiple: true, description: 'a package source folder (UNC path or mounted share); repeatable', placeholder: 'DIR' },
      layout: { type: 'string', description: 'versioned (default): a new <target>/<version>/ per publish and current.json; mirror: one folder updated in place', placeholder: 'LAYOUT' },
      keep: { type: 'string', description: 'versioned: how many versions to keep, the current one included (default 2)', placeholder: 'N' },
      wait: { type: 'string', description: 'seconds to wait for another publish to the same target (default 0: fail at once)', placeholder: 'SECONDS' },
      'dry-run': { type: 'boolean', short: 'n', description: 'show what would be copied, replaced and deleted per target; change nothing' },
    },
    async run(values, _p, reporter) {
      const options = {
        targets: values.target as string[] | undefined,
        layout: values.layout,
        keep: values.keep === undefined ? undefined : Number(values.keep),
        wait: values.wait === undefined ? undefined : Number(values.wait),
      };
      // dryRun is not a step option: a dry run never reaches the step (nothing is recorded).
      const { dryRun, ...fileArgs } = values.fileArgs ?? {};
      const invocation = { ...values, fileArgs } as Values;
      if (values['dry-run'] || dryRun === true) {
        const { distribute, describeTarget } = await import('./steps/distribute.ts');
        const { parseOptions } = await import('./pipeline/run-step.ts');
        const { publish } = await import('./distribute/publish.ts');
        const { options: raw, context } = stepInvocation(invocation, options, reporter);
        const parsed = parseOptions(distribute.schema, raw, '');
        const manifest = await context.workspace.loadManifest();
        const targets = await publish(context.workspace, manifest, { ...parsed, waitMs: 0, dryRun: true, command: 'osmedia distribute --dry-run' }, reporter);
        const text = targets.map((t) => [describeTarget(t), ...t.copy.map((p) => `  copy    ${p}`), ...t.replace.map((p) => `  replace ${p}`), ...t.delete.map((p) => `  delete  ${p}`)].join('\n')).join('\n');
        return { result: { dryRun: true, targets }, text };
      }
      const outcome = await runSingleStep('distribute', invocation, options, reporter);
      const summary = (outcome.result as { summary: { targets: import('./distribute/publish.ts').TargetResult[] } }).summary;
      return { result: { ...(outcome.result as object), targets: summary.targets }, text: outcome.text };
    },
  },
  'generate-task-sequence': {
    summary: 'write the in-place upgrade task sequence (ConfigMgr XML) for this media, checked against the manifest',
    usage: 'osmedia generate-task-sequence --workspace DIR [--out DIR] [--edition SELECTOR] [--package-id ID] [--name NAME] [--scan-only] [--dynamic-update disable|policy|override] [--setup-options "…"]',
    options: {
      workspace: workspaceOption,
      out: { type: 'string', short: 'o', description: 'folder for osmedia-upgrade.xml and its summary (default <workspace>/ts)', placeholder: 'DIR' },
      edition: { type: 'string', short: 'e', description: 'the edition to install (EditionID, exact name or index); required when install.wim holds several', placeholder: 'SELECTOR' },
      'package-id': { type: 'string', description: 'the OS upgrade package ID (e.g. P0100123); without it a clearly marked placeholder is used', placeholder: 'ID' },
      name: { type: 'string', description: 'the task sequence name (at most 50 characters)', placeholder: 'NAME' },
      'scan-only': { type: 'boolean', description: 'a compatibility-scan-only task sequence (Setup /Compat ScanOnly), no upgrade' },
      'dynamic-update': { type: 'string', description: 'Windows Setup Dynamic Update: disable (default), policy or override', placeholder: 'MODE' },
      'setup-options': { type: 'string', description: 'extra Windows Setup options (OSDSetupAdditionalUpgradeOptions), e.g. "/DiagnosticPrompt Enable"', placeholder: 'OPTIONS' },
    },
    run: (values, _p, reporter) =>
      runSingleStep('generate-task-sequence', values, {
        out: values.out,
        edition: values.edition,
        packageId: values['package-id'],
        name: values.name,
        scanOnly: values['scan-only'],
        dynamicUpdate: values['dynamic-update'],
        setupOptions: values['setup-options'],
      }, reporter),
  },
  verify: {
    summary: 'check a published copy against its manifest: missing, changed and extra files (exit 1 if any)',
    usage: 'osmedia verify --target DIR [--version VERSION]',
    options: {
      target: { type: 'string', short: 't', description: 'the target folder given to distribute', placeholder: 'DIR' },
      version: { type: 'string', description: 'versioned layout: the version to check (default: the current one)', placeholder: 'VERSION' },
    },
    async run(values, _p, reporter) {
      const { verifyTarget, renderVerify } = await import('./distribute/verify.ts');
      const result = await verifyTarget(requireValue(values, 'target'), values.version as string | undefined, reporter);
      return { result, text: renderVerify(result), exitCode: result.ok ? ExitCode.ok : ExitCode.failure };
    },
  },
  run: {
    summary: 'run a recipe\'s steps in order, skipping those unchanged since their last success',
    usage: 'osmedia run --recipe FILE [--workspace DIR] [--force]',
    options: {
      recipe: { type: 'string', short: 'r', description: 'the recipe file (YAML)', placeholder: 'FILE' },
      workspace: { ...workspaceOption, description: 'the workspace folder (default: the recipe\'s `workspace`, else ./osmedia-work next to the recipe)' },
      force: { type: 'boolean', short: 'f', description: 'rebuild from the source even when nothing changed' },
      engine: engineOption,
    },
    async run(values, _p, reporter) {
      const { loadRecipe } = await import('./recipe/load.ts');
      const { runRecipe } = await import('./pipeline/run-recipe.ts');
      const args = mergeArgs(values.fileArgs ?? {}, { recipe: values.recipe, workspace: values.workspace, force: values.force, engine: values.engine });
      if (typeof args.recipe !== 'string') throw new UsageError('--recipe is required', { fix: 'Pass --recipe FILE (or "recipe" in the --args-file).' });
      const loaded = await loadRecipe(args.recipe);
      const workspace = (args.workspace as string | undefined) ?? path.resolve(loaded.dir, loaded.recipe.workspace ?? 'osmedia-work');
      const context = createContext({ workspace, reporter, force: args.force === true, engine: args.engine as string | undefined });
      const result = await runRecipe(loaded, context);
      const last = result.steps.at(-1)?.manifest;
      return {
        result: {
          recipe: result.recipe,
          workspace: result.workspace,
          manifestPath: context.workspace.manifestPath,
          reason: result.reason,
          changed: result.steps.some((s) => s.result === 'succeeded'),
          build: last?.installWim.images[0]?.version,
          images: last?.installWim.images,
          steps: result.steps.map(({ manifest: _m, ...rest }) => rest),
        },
        text: [`recipe ${result.recipe}: ${result.reason}`, ...result.steps.map(stepText)].join('\n'),
      };
    },
  },
  plan: {
    summary: 'show what `run` would do with a recipe, without changing anything',
    usage: 'osmedia plan --recipe FILE [--workspace DIR]',
    options: {
      recipe: { type: 'string', short: 'r', description: 'the recipe file (YAML)', placeholder: 'FILE' },
      workspace: { ...workspaceOption, description: 'the workspace folder (default as for `run`)' },
    },
    async run(values, _p, reporter) {
      const { loadRecipe } = await import('./recipe/load.ts');
      const { decide, stepsOfRecipe } = await import('./pipeline/run-recipe.ts');
      const loaded = await loadRecipe(requireValue(values, 'recipe'));
      const workspace = (values.workspace as string | undefined) ?? path.resolve(loaded.dir, loaded.recipe.workspace ?? 'osmedia-work');
      const context = createContext({ workspace, reporter });
      const planned = stepsOfRecipe(loaded);
      const decision = await decide(planned, context).catch((error: unknown) => ({ firstToRun: 0, reimport: true, reason: `rebuild (${describeError(error).message})` }));
      const manifest = (await context.workspace.hasManifest()) ? await context.workspace.loadManifest() : undefined;
      const mediaUnchanged = (i: number) => i <= decision.firstToRun && !decision.reimport && manifest !== undefined;
      const items = [];
      for (const [i, item] of planned.entries()) {
        const step = getStep(item.step);
        const options = step.schema.parse(item.options);
        const action = i < decision.firstToRun && step.effect !== 'external' ? 'skip' : 'run';
        let details: string[];
        try {
          if (item.step === 'distribute' && mediaUnchanged(i)) {
            // The media is what it will be: show per target what would be copied, replaced and deleted.
            const { publish } = await import('./distribute/publish.ts');
            const { describeTarget } = await import('./steps/distribute.ts');
            const o = options as { targets: string[]; layout: 'versioned' | 'mirror'; keep: number };
            const targets = await publish(context.workspace, manifest!, { ...o, waitMs: 0, dryRun: true, command: 'osmedia plan' }, reporter);
            details = targets.map(describeTarget);
          } else {
            details = action === 'run' ? step.plan(i === 0 || decision.reimport ? undefined : manifest, options) : [];
          }
        } catch (error) {
          details = [`error: ${describeError(error).message}`];
        }
        items.push({ step: item.step, action, details });
      }
      return {
        result: { recipe: loaded.file, workspace: context.workspace.root, reason: decision.reason, steps: items },
        text: [`recipe ${loaded.file}: ${decision.reason}`, ...items.flatMap((s) => [`${s.action.padEnd(4)} ${s.step}`, ...s.details.map((d) => `       ${d}`)])].join('\n'),
      };
    },
  },
  diff: {
    summary: 'compare the media a recipe makes (or a manifest) with what its target has published: editions, build, updates, files',
    usage: 'osmedia diff --recipe FILE [--workspace DIR] [--target DIR]  |  osmedia diff --before MANIFEST --after MANIFEST',
    options: {
      recipe: { type: 'string', short: 'r', description: 'the recipe; compared with the current version published to its first distribute target', placeholder: 'FILE' },
      workspace: { ...workspaceOption, description: 'the workspace (default as for `run`)' },
      target: { type: 'string', short: 't', description: 'compare with this published target instead', placeholder: 'DIR' },
      before: { type: 'string', description: 'a manifest (osmedia-manifest.json or osmedia-published.json) to compare from', placeholder: 'FILE' },
      after: { type: 'string', description: 'a manifest to compare to', placeholder: 'FILE' },
    },
    async run(values, _p, reporter) {
      const { diffStates, readState, renderDiff } = await import('./report/diff.ts');
      if (typeof values.before === 'string' || typeof values.after === 'string') {
        const diff = diffStates(await readState(requireValue(values, 'before')), await readState(requireValue(values, 'after')));
        return { result: diff, text: renderDiff(diff) };
      }
      const { plannedState, publishedState } = await import('./report/planned.ts');
      const { loadRecipe } = await import('./recipe/load.ts');
      const loaded = await loadRecipe(requireValue(values, 'recipe'));
      const workspace = (values.workspace as string | undefined) ?? path.resolve(loaded.dir, loaded.recipe.workspace ?? 'osmedia-work');
      const target = (values.target as string | undefined) ?? (loaded.recipe.distribute?.targets[0] ? path.resolve(loaded.dir, loaded.recipe.distribute.targets[0]) : undefined);
      const after = await plannedState(loaded, createContext({ workspace, reporter }));
      const before = target ? await publishedState(target) : undefined;
      const diff = diffStates(before ?? { label: 'nothing published', build: '—', editions: [], updates: [], files: [] }, after);
      return { result: { target: target ?? null, ...diff }, text: renderDiff(diff) };
    },
  },
  matrix: {
    summary: 'print the JSON for a GitHub Actions strategy.matrix over recipe files (validates each)',
    usage: 'osmedia matrix PATH…   (recipe files, or folders searched for *.yml)',
    positionals: 'PATH',
    options: {},
    async run(_values, positionals) {
      const { recipeMatrix } = await import('./report/planned.ts');
      const matrix = await recipeMatrix(positionals.length ? positionals : ['.']);
      return { result: { matrix }, text: JSON.stringify(matrix) };
    },
  },
  inspect: {
    summary: 'show the images inside an ISO, a media folder, a workspace or a WIM (read-only)',
    usage: 'osmedia inspect PATH [--json]',
    positionals: 'PATH',
    options: {},
    async run(_values, positionals) {
      if (positionals.length !== 1) throw new UsageError('inspect takes exactly one PATH', { fix: 'Pass an ISO, a media folder, a workspace or a WIM file.' });
      const { inspectPath, renderInspection } = await import('./media/inspect.ts');
      const { SevenZip } = await import('./imaging/sevenzip.ts');
      const { WimlibEngine } = await import('./imaging/wimlib.ts');
      const inspection = await inspectPath(positionals[0]!, { engine: new WimlibEngine(), sevenZip: new SevenZip() });
      return { result: inspection, text: renderInspection(inspection) };
    },
  },
  sample: {
    summary: 'build sample Windows-shaped media (real WIMs and a UDF ISO) to try osmedia on',
    usage: 'osmedia sample --out DIR [--editions N] [--payload-mib N] [--install-kind wim|esd|swm]',
    options: {
      out: { type: 'string', short: 'o', description: 'folder to build in (media/ and an ISO)', placeholder: 'DIR' },
      editions: { type: 'string', description: 'how many editions install.wim holds (1–5, default 4)', placeholder: 'N' },
      'payload-mib': { type: 'string', description: 'MiB of incompressible data per edition (default 0)', placeholder: 'N' },
      'install-kind': { type: 'string', description: 'wim (default), esd or swm', placeholder: 'KIND' },
    },
    async run(values, _p, reporter) {
      const out = path.resolve(requireValue(values, 'out'));
      const editions = Number(values.editions ?? 4);
      if (!Number.isInteger(editions) || editions < 1 || editions > 5) throw new UsageError('--editions must be a whole number from 1 to 5', { fix: 'For example --editions 4.' });
      const kind = (values['install-kind'] as string | undefined) ?? 'wim';
      if (!['wim', 'esd', 'swm'].includes(kind)) throw new UsageError('--install-kind must be wim, esd or swm', { fix: 'For example --install-kind esd.' });
      const { buildSampleMedia, SAMPLE_EDITIONS } = await import('./sample/sample-media.ts');
      await mkdir(out, { recursive: true });
      reporter.emit({ type: 'info', message: `building sample media in ${out}` });
      const sample = await buildSampleMedia({ dir: out, editions: SAMPLE_EDITIONS.slice(0, editions), payloadBytes: Number(values['payload-mib'] ?? 0) * 1024 * 1024, installKind: kind as 'wim' });
      return { result: sample, text: `sample media: ${sample.mediaDir}\nsample ISO:   ${sample.isoPath}` };
    },
  },
  'recipe-schema': {
    summary: 'print the recipe\'s JSON Schema (for editor validation)',
    usage: 'osmedia recipe-schema',
    options: {},
    async run() {
      const { recipeJsonSchema } = await import('./recipe/load.ts');
      const schema = recipeJsonSchema();
      return { result: schema, text: JSON.stringify(schema, null, 2) };
    },
  },
};

function commandHelp(name: string, command: Command): string {
  const options = { ...command.options, ...common };
  const rows = Object.entries(options).map(([flag, spec]) => {
    const s = spec as ParseArgsOptionDescriptor & { description: string; placeholder?: string };
    const left = `${s.short ? `-${s.short}, ` : '    '}--${flag}${s.type === 'string' ? ` ${s.placeholder ?? 'VALUE'}` : ''}`;
    return `  ${left.padEnd(30)} ${s.description}`;
  });
  return `osmedia ${name}: ${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${rows.join('\n')}\n\nExit codes: 0 ok, 1 failure, 2 usage or validation error.\n`;
}

function mainHelp(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`);
  return `osmedia ${OSMEDIA_VERSION}: service Windows installation media for Configuration Manager

Usage: osmedia <command> [options]

Commands:
${rows.join('\n')}

Every command takes --help, --json and --quiet. Exit codes: 0 ok, 1 failure, 2 usage or validation error.
Environment: OSMEDIA_WIMLIB, OSMEDIA_7ZIP (tool paths), OSMEDIA_ENGINE (wimlib|dism), SOURCE_DATE_EPOCH (build file date).
Docs: README.md and docs/ in the osmedia repository.
`;
}

class QuietReporter implements Reporter {
  private readonly inner: Reporter;
  constructor(inner: Reporter) {
    this.inner = inner;
  }
  emit(event: Parameters<Reporter['emit']>[0]): void {
    if (event.type === 'warning') this.inner.emit(event);
  }
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${OSMEDIA_VERSION}\n`);
    return ExitCode.ok;
  }
  const command = commands[name];
  const wantsJson = rest.includes('--json');
  const fail = (error: unknown): number => {
    const described = describeError(error);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, command: name, error: described }, null, 2)}\n`);
    io.stderr.write(`error: ${described.message}\n${described.fix ? `fix: ${described.fix}\n` : ''}${described.logPath ? `log: ${described.logPath}\n` : ''}`);
    return exitCodeOf(error);
  };
  if (!command) return fail(new UsageError(`Unknown command "${name}"`, { fix: `Run \`osmedia --help\` for the list of commands.` }));
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, ...common }, allowPositionals: Boolean(command.positionals), strict: true });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    return fail(new UsageError(`${(error as Error).message}`, { fix: `Run \`osmedia ${name} --help\`.` }));
  }
  if (values.help) {
    io.stdout.write(commandHelp(name, command));
    return ExitCode.ok;
  }
  const tty = Boolean(io.stderr.isTTY) && !io.env.CI;
  const consoleReporter = new ConsoleReporter({ stream: io.stderr, tty });
  const collected = new CollectingReporter();
  const reporter = fanOut(values.quiet ? new QuietReporter(consoleReporter) : consoleReporter, collected);
  const startedAt = new Date();
  // Reports are written whatever the outcome: a failed run is when Jenkins needs them most.
  const writeReports = async (result: Record<string, unknown>, failure?: ReturnType<typeof describeError>) => {
    if (typeof values['result-file'] === 'string') await writeFileAtomic(path.resolve(values['result-file']), `${JSON.stringify(result, null, 2)}\n`);
    if (typeof values.junit === 'string') {
      const xml = renderJUnit({ command: name, events: collected.events, startedAt, durationMs: Date.now() - startedAt.getTime(), failure, properties: { 'osmedia.version': OSMEDIA_VERSION, 'osmedia.command': name, 'osmedia.build': typeof result.build === 'string' ? result.build : undefined } });
      await writeFileAtomic(path.resolve(values.junit), xml);
    }
  };
  try {
    if (typeof values['args-file'] === 'string') values.fileArgs = await readArgsFile(values['args-file']);
    const outcome = await command.run(values, positionals, reporter);
    const ok = (outcome.exitCode ?? ExitCode.ok) === ExitCode.ok;
    const result = { ok, command: name, ...(outcome.result as object) };
    await writeReports(result);
    if (wantsJson) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(`${outcome.text}\n`);
    return outcome.exitCode ?? ExitCode.ok;
  } catch (error) {
    await writeReports({ ok: false, command: name, error: describeError(error) }, describeError(error)).catch((e: unknown) => io.stderr.write(`warning: could not write the reports: ${(e as Error).message}\n`));
    return fail(error);
  }
}

/** Reads --args-file: one JSON object of options. */
async function readArgsFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the arguments file ${file} (${(error as NodeJS.ErrnoException).code})`, { fix: 'Pass the path of an existing JSON file with --args-file.' });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, '')); // PowerShell and Notepad write a BOM
  } catch (error) {
    throw new UsageError(`The arguments file ${file} is not valid JSON: ${(error as Error).message}`, { fix: 'Write one JSON object, for example {"workspace": "C:\\\\osmedia\\\\ws", "keep": ["Enterprise"]}.' });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`The arguments file ${file} must hold one JSON object`, { fix: 'Write the options as {"name": value, …}.' });
  }
  return data as Record<string, unknown>;
}

/** Exposed for tests: the command names and their help. */
export const commandNames = Object.keys(commands);
export { commandHelp, mainHelp };
