// The step commands: one osmedia step each, through the same registry as recipes and the Action.
// Their flags, usage and help come from each step's surface (src/steps/surface.ts); only the
// review modes (--dry-run, --emit-scripts) have code of their own here.
import path from 'node:path';
import { surfaces, usageLine } from '../steps/surface.ts';
import type { StepId } from '../steps/types.ts';
import { UsageError } from '../util/errors.ts';
import { runSingleStep, type Command } from './shared.ts';
import { cliOptions, stepInvocation } from './step-args.ts';

/** A step's command from its surface; `run` defaults to running the step. */
function stepCommand(id: StepId, run?: Command['run']): Command {
  return {
    summary: surfaces[id].summary,
    usage: usageLine(id),
    options: cliOptions(id),
    run: run ?? ((values, _p, reporter) => runSingleStep(id, values, reporter)),
  };
}

export const commands: Record<string, Command> = {
  'import-media': stepCommand('import-media'),
  'strip-indexes': stepCommand('strip-indexes'),
  'apply-updates': stepCommand('apply-updates', async (values, _p, reporter) => {
    const invocation = stepInvocation('apply-updates', values, reporter);
    const { options, flags, context } = invocation;
    if (flags.dryRun !== true) return runSingleStep('apply-updates', values, reporter, invocation);
    const { applyUpdates, prepareServicing } = await import('../steps/apply-updates.ts');
    const { formatPlan, formatPlanTable } = await import('../updates/plan.ts');
    const { parseOptions } = await import('../pipeline/run-step.ts');
    const parsed = parseOptions(applyUpdates.schema, options, '');
    const manifest = await context.workspace.loadManifest();
    const { plan, ignored } = await prepareServicing(context, manifest, parsed);
    const { packages, ...rest } = plan;
    const result = { dryRun: true, ...rest, packages: packages.map(({ file, ...p }) => ({ ...p, file })), ignored };
    return { result, text: [...formatPlanTable(plan), '', ...formatPlan(plan)].join('\n') };
  }),
  'stamp-build-file': stepCommand('stamp-build-file'),
  'build-iso': stepCommand('build-iso'),
  distribute: stepCommand('distribute', async (values, _p, reporter) => {
    const invocation = stepInvocation('distribute', values, reporter);
    const { options, flags, context } = invocation;
    const emitDir = typeof flags.emitScripts === 'string' ? flags.emitScripts : undefined;
    if (emitDir || flags.dryRun === true) {
      // Both only look: what would be published (a dry-run publish) and what the site would be asked to do.
      const { distribute, describeTarget, siteInput } = await import('../steps/distribute.ts');
      const { parseOptions } = await import('../pipeline/run-step.ts');
      const { publish } = await import('../distribute/publish.ts');
      const { describeSiteOperations } = await import('../configmgr/site.ts');
      const { describePlan, planSite } = await import('../configmgr/site-plan.ts');
      const { readSite, writeApplyScript, writeSiteScripts } = await import('../configmgr/run-site.ts');
      const parsed = parseOptions(distribute.schema, options, '');
      const siteState = typeof flags.siteState === 'string' ? flags.siteState : undefined;
      if (emitDir && !parsed.site)
        throw new UsageError('--emit-scripts writes the ConfigMgr site scripts: name the site with --site-code (or "site" in the recipe)', {
          fix: 'Add --site-code, --provider, --upgrade-package-name and --accept-license.',
        });
      if (siteState && !parsed.site)
        throw new UsageError('--site-state plans the ConfigMgr site changes: name the site with --site-code (or "site" in the recipe)', {
          fix: 'Add --site-code, --provider, --upgrade-package-name and --accept-license.',
        });
      const manifest = await context.workspace.loadManifest();
      const targets = await publish(
        context.workspace,
        manifest,
        { ...parsed, waitMs: 0, dryRun: true, command: `osmedia distribute ${emitDir ? '--emit-scripts' : '--dry-run'}` },
        reporter,
      );
      const input = parsed.site ? siteInput(manifest, parsed.site, targets[0]!.packageSource) : undefined;
      let site: string[] = [];
      const emitted: string[] = [];
      if (input) {
        // Nothing is written into the workspace: the scripts go to DIR, or to a scratch folder for a dry run.
        const { mkdtemp, rm } = await import('node:fs/promises');
        const { tmpdir } = await import('node:os');
        const scratch = await mkdtemp(path.join(tmpdir(), 'osmedia-site-'));
        try {
          const dir = emitDir ?? scratch;
          const scripts = await writeSiteScripts(dir, input);
          if (emitDir) emitted.push(scripts.read, scripts.status);
          const state = await readSite(input, scripts, { logDir: scratch, stateDir: scratch }, siteState);
          if (state) {
            const plan = planSite(input, state);
            site = describePlan(plan, input.site.siteCode);
            if (emitDir) emitted.push(await writeApplyScript(emitDir, input, plan, new Date().toISOString()));
          } else {
            site = [
              ...describeSiteOperations(input),
              `site ${input.site.siteCode}: the exact changes depend on what the site has; on a machine with the console, or with --site-state FILE (the result of osmedia-site-read.ps1 -ResultPath FILE), they are listed${emitDir ? ' and osmedia-site-apply.ps1 is written' : ''}`,
            ];
          }
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }
      if (emitDir) return { result: { emitted, operations: site }, text: [...emitted.map((f) => `wrote ${f}`), ...site].join('\n') };
      const text = [
        ...targets.map((t) =>
          [describeTarget(t), ...t.copy.map((p) => `  copy    ${p}`), ...t.replace.map((p) => `  replace ${p}`), ...t.delete.map((p) => `  delete  ${p}`)].join(
            '\n',
          ),
        ),
        ...site,
      ].join('\n');
      return { result: { dryRun: true, targets, site }, text };
    }
    const outcome = await runSingleStep('distribute', values, reporter, invocation);
    const summary = (outcome.result as { summary: { targets: import('../distribute/publish.ts').TargetResult[] } }).summary;
    return { result: { ...(outcome.result as object), targets: summary.targets }, text: outcome.text };
  }),
  'generate-task-sequence': stepCommand('generate-task-sequence'),
};
