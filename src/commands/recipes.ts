// The recipe commands: run, plan, diff and matrix over recipes, and the recipe's JSON Schema.
import { problemOf } from '../steps/preflight.ts';
import path from 'node:path';
import { createContext } from '../context.ts';
import { getStep } from '../steps/index.ts';
import { describeError, UsageError } from '../util/errors.ts';
import { engineOption, mergeArgs, requireValue, stepText, workspaceOption, type Command } from './shared.ts';

const recipeOption = { type: 'string', short: 'r', description: 'the recipe file (YAML)', placeholder: 'FILE' } as const;

export const commands: Record<string, Command> = {
  run: {
    summary: "run a recipe's steps in order, skipping those unchanged since their last success",
    usage: 'osmedia run --recipe FILE [--workspace DIR] [--force] [--wait SECONDS]',
    options: {
      recipe: recipeOption,
      workspace: { ...workspaceOption, description: "the workspace folder (default: the recipe's `workspace`, else ./osmedia-work next to the recipe)" },
      force: { type: 'boolean', short: 'f', description: 'rebuild from the source even when nothing changed' },
      wait: {
        type: 'string',
        description: 'seconds to wait for another run that holds the workspace (default 0: stop at once, naming it)',
        placeholder: 'SECONDS',
      },
      engine: engineOption,
    },
    async run(values, _p, reporter) {
      const { loadRecipe, recipeWorkspace } = await import('../recipe/load.ts');
      const { runRecipe } = await import('../pipeline/run-recipe.ts');
      const args = mergeArgs(values.fileArgs ?? {}, {
        recipe: values.recipe,
        workspace: values.workspace,
        force: values.force,
        engine: values.engine,
        wait: values.wait,
      });
      if (typeof args.recipe !== 'string') throw new UsageError('--recipe is required', { fix: 'Pass --recipe FILE (or "recipe" in the --args-file).' });
      const loaded = await loadRecipe(args.recipe);
      const workspace = recipeWorkspace(loaded, args.workspace as string | undefined);
      const context = createContext({ workspace, reporter, force: args.force === true, engine: args.engine as string | undefined });
      const wait = args.wait === undefined ? 0 : Number(args.wait);
      if (!Number.isInteger(wait) || wait < 0)
        throw new UsageError(`--wait takes whole seconds, not "${String(args.wait)}"`, { fix: 'Pass --wait 600, for example.' });
      const result = await runRecipe(loaded, context, { waitMs: wait * 1000 });
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
      recipe: recipeOption,
      workspace: { ...workspaceOption, description: 'the workspace folder (default as for `run`)' },
    },
    async run(values, _p, reporter) {
      const { loadRecipe, recipeWorkspace } = await import('../recipe/load.ts');
      const { decide, stepsOfRecipe } = await import('../pipeline/run-recipe.ts');
      const { preflightRecipe } = await import('../pipeline/preflight.ts');
      const loaded = await loadRecipe(requireValue(values, 'recipe'));
      const workspace = recipeWorkspace(loaded, values.workspace as string | undefined);
      const context = createContext({ workspace, reporter });
      const planned = stepsOfRecipe(loaded);
      // Read once, without the lock: plan changes nothing.
      const manifest = (await context.workspace.hasManifest()) ? await context.workspace.loadManifest() : undefined;
      const decision = await decide(planned, context, manifest).catch((error: unknown) => ({
        firstToRun: 0,
        reimport: true,
        reason: `rebuild (${describeError(error).message})`,
      }));
      // The same checks `run` makes before its first step: the plan is red exactly when the run would fail.
      const problems = await preflightRecipe(planned, context, decision, manifest);
      // run refuses a folder with other files in it that is not a workspace: so does plan.
      const { checkForeignContent } = await import('../pipeline/session.ts');
      await checkForeignContent(context).catch((error: unknown) => {
        problems.unshift(problemOf('import-media', error));
      });
      // The media a step sees is the built one when every media step before it is skipped (external steps such as build-iso change no media).
      const mediaUnchanged = (i: number) =>
        planned.slice(0, i).every((p, k) => k < decision.firstToRun || getStep(p.step).effect === 'external') && !decision.reimport && manifest !== undefined;
      const items = [];
      for (const [i, item] of planned.entries()) {
        const step = getStep(item.step);
        const options: unknown = step.schema.parse(item.options);
        const action = i < decision.firstToRun && step.effect !== 'external' ? 'skip' : 'run';
        let details: string[];
        try {
          if (item.step === 'distribute' && mediaUnchanged(i)) {
            // The media is what it will be: show per target what would be copied, replaced and deleted.
            const { publish } = await import('../distribute/publish.ts');
            const { describeTarget } = await import('../steps/distribute.ts');
            const o = options as { targets: string[]; layout: 'versioned' | 'mirror'; keep: number };
            const targets = await publish(context.workspace, manifest!, { ...o, waitMs: 0, dryRun: true, command: 'osmedia plan' }, reporter);
            details = targets.map(describeTarget);
          } else if (item.step === 'apply-updates' && action === 'run' && mediaUnchanged(i)) {
            // The media before this step is known: classify the updates and show the servicing plan.
            const { prepareServicing } = await import('../steps/apply-updates.ts');
            const { formatPlan } = await import('../updates/plan.ts');
            const { plan } = await prepareServicing(context, manifest!, options as import('../steps/apply-updates.ts').ApplyUpdatesOptions);
            details = formatPlan(plan);
          } else {
            details = action === 'run' ? step.plan(i === 0 || decision.reimport ? undefined : manifest, options) : [];
          }
        } catch (error) {
          details = [`error: ${describeError(error).message}`];
        }
        items.push({ step: item.step, action, details });
      }
      return {
        result: { recipe: loaded.file, workspace: context.workspace.root, reason: decision.reason, ok: problems.length === 0, problems, steps: items },
        text: [
          `recipe ${loaded.file}: ${decision.reason}`,
          ...items.flatMap((s) => [`${s.action.padEnd(4)} ${s.step}`, ...s.details.map((d) => `       ${d}`)]),
          ...problems.flatMap((p) => [`error: ${p.step}: ${p.message}`, `fix: ${p.fix}`]),
          problems.length ? `${problems.length} problem(s): \`osmedia run\` would stop before its first step` : 'no problems found: `osmedia run` can start',
        ].join('\n'),
        exitCode: problems.length ? 2 : undefined,
      };
    },
  },
  diff: {
    summary: 'compare the media a recipe makes (or a manifest) with what its target has published: editions, build, updates, files',
    usage: 'osmedia diff --recipe FILE [--workspace DIR] [--target DIR]  |  osmedia diff --before MANIFEST --after MANIFEST',
    options: {
      recipe: {
        type: 'string',
        short: 'r',
        description: 'the recipe; compared with the current version published to its first distribute target',
        placeholder: 'FILE',
      },
      workspace: { ...workspaceOption, description: 'the workspace (default as for `run`)' },
      target: { type: 'string', short: 't', description: 'compare with this published target instead', placeholder: 'DIR' },
      before: { type: 'string', description: 'a manifest (osmedia-manifest.json or osmedia-published.json) to compare from', placeholder: 'FILE' },
      after: { type: 'string', description: 'a manifest to compare to', placeholder: 'FILE' },
    },
    async run(values, _p, reporter) {
      const { diffStates, readState, renderDiff } = await import('../report/diff.ts');
      if (typeof values.before === 'string' || typeof values.after === 'string') {
        const diff = diffStates(await readState(requireValue(values, 'before')), await readState(requireValue(values, 'after')));
        return { result: diff, text: renderDiff(diff) };
      }
      const { plannedState, publishedState } = await import('../report/planned.ts');
      const { loadRecipe, recipeWorkspace } = await import('../recipe/load.ts');
      const loaded = await loadRecipe(requireValue(values, 'recipe'), { verifyLock: false });
      const workspace = recipeWorkspace(loaded, values.workspace as string | undefined);
      const target =
        (values.target as string | undefined) ??
        (loaded.recipe.distribute?.targets[0] ? path.resolve(loaded.dir, loaded.recipe.distribute.targets[0]) : undefined);
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
      const { recipeMatrix } = await import('../report/planned.ts');
      const matrix = await recipeMatrix(positionals.length ? positionals : ['.']);
      return { result: { matrix }, text: JSON.stringify(matrix) };
    },
  },
  'recipe-schema': {
    summary: "print the recipe's JSON Schema (for editor validation)",
    usage: 'osmedia recipe-schema',
    options: {},
    async run() {
      const { recipeJsonSchema } = await import('../recipe/load.ts');
      const schema = recipeJsonSchema();
      return { result: schema, text: JSON.stringify(schema, null, 2) };
    },
  },
};
