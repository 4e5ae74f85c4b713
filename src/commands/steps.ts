// The step commands: one osmedia step each, through the same registry as recipes and the Action.
import path from 'node:path';
import { splitSelectors } from '../steps/strip-indexes.ts';
import { UsageError } from '../util/errors.ts';
import { engineOption, runSingleStep, stepInvocation, workspaceOption, type Command, type Values } from './shared.ts';

export const commands: Record<string, Command> = {
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
      keep: {
        type: 'string',
        short: 'k',
        multiple: true,
        description: 'an EditionID (Enterprise), an exact image name, or a 1-based index; repeatable or comma-separated',
        placeholder: 'SELECTOR',
      },
      engine: engineOption,
    },
    run: (values, _p, reporter) =>
      runSingleStep('strip-indexes', values, { keep: values.keep ? splitSelectors(values.keep as string[]) : undefined }, reporter),
  },
  'apply-updates': {
    summary: "apply update packages (.msu/.cab) in Microsoft's servicing order, verified: WinRE, install.wim, boot.wim, media",
    usage:
      'osmedia apply-updates --workspace DIR --updates DIR [--update FILE …] [--dry-run] [--continue-on-error] [--skip-rejected] [--netfx3] [--no-cleanup] [--checkpoint KB …] [--enablement] [--scratch DIR]',
    options: {
      workspace: workspaceOption,
      updates: {
        type: 'string',
        short: 'u',
        description: "folder of this month's .msu and .cab files; a SHA256SUMS file in it (sha256sum format) pins them",
        placeholder: 'DIR',
      },
      update: {
        type: 'string',
        multiple: true,
        description: 'an update file (repeatable); pin it with "files": [{"path", "sha256"}] in an --args-file or the recipe',
        placeholder: 'FILE',
      },
      'dry-run': { type: 'boolean', short: 'n', description: 'classify the updates and print the servicing plan (table, or JSON with --json); change nothing' },
      'continue-on-error': {
        type: 'boolean',
        description: 'record a package DISM fails to add and carry on (as ConfigMgr\'s "Continue on error"); default: discard the image and stop',
      },
      'skip-rejected': { type: 'boolean', description: 'go on when some files are rejected (express CABs, other architectures…); they are still listed' },
      netfx3: { type: 'boolean', description: 'enable .NET Framework 3.5 in install.wim images from sources/sxs (after cleanup, before the .NET CU)' },
      'no-cleanup': { type: 'boolean', description: 'skip /StartComponentCleanup (not recommended: the images stay larger)' },
      checkpoint: {
        type: 'string',
        multiple: true,
        description: 'a KB to treat as a checkpoint cumulative update besides the known ones (repeatable; its KB article says so)',
        placeholder: 'KB',
      },
      enablement: {
        type: 'boolean',
        description: 'apply an enablement package (eKB) among the updates: it changes the release (26100 → 26200); refused by default',
      },
      scratch: {
        type: 'string',
        description: 'folder for mounts and DISM scratch, on a local NTFS disk (default <workspace>/.osmedia/scratch)',
        placeholder: 'DIR',
      },
      engine: {
        ...engineOption,
        description: 'takes Winre.wim and setup files out of the images: wimlib (default where installed) or dism (Windows; mounts them)',
      },
    },
    async run(values, _p, reporter) {
      const options = {
        from: values.updates,
        files: (values.update as string[] | undefined)?.map((file) => ({ path: file })),
        continueOnError: values['continue-on-error'],
        skipRejected: values['skip-rejected'],
        netfx3: values.netfx3,
        cleanup: values['no-cleanup'] ? false : undefined,
        checkpoints: values.checkpoint as string[] | undefined,
        enablement: values.enablement,
        scratch: values.scratch,
      };
      // In an --args-file (Jenkins), "updates" names the folder as the flag does; "from" as in the recipe.
      const { dryRun, updates, ...fileArgs } = values.fileArgs ?? {};
      if (typeof updates === 'string' && fileArgs.from === undefined) fileArgs.from = updates;
      const invocation = { ...values, fileArgs } as Values;
      if (values['dry-run'] || dryRun === true) {
        const { applyUpdates, prepareServicing } = await import('../steps/apply-updates.ts');
        const { formatPlan, formatPlanTable } = await import('../updates/plan.ts');
        const { parseOptions } = await import('../pipeline/run-step.ts');
        const { options: raw, context } = stepInvocation(invocation, options, reporter);
        const parsed = parseOptions(applyUpdates.schema, raw, '');
        const manifest = await context.workspace.loadManifest();
        const { plan, ignored } = await prepareServicing(context, manifest, parsed);
        const { packages, ...rest } = plan;
        const result = { dryRun: true, ...rest, packages: packages.map(({ file, ...p }) => ({ ...p, file })), ignored };
        return { result, text: [...formatPlanTable(plan), '', ...formatPlan(plan)].join('\n') };
      }
      return runSingleStep('apply-updates', invocation, options, reporter);
    },
  },
  'stamp-build-file': {
    summary: 'remove autorun.inf and write the build file (text + JSON) onto the media',
    usage: 'osmedia stamp-build-file --workspace DIR [--file sources/osmedia-build.txt] [--revision REV]',
    options: {
      workspace: workspaceOption,
      file: {
        type: 'string',
        description: 'path of the build file inside the media (default sources/osmedia-build.txt; the JSON twin goes beside it)',
        placeholder: 'PATH',
      },
      revision: {
        type: 'string',
        description: "the recipe revision to record (default: none, or the recipe repository's git commit under `run`)",
        placeholder: 'REV',
      },
      engine: engineOption,
    },
    run: (values, _p, reporter) => runSingleStep('stamp-build-file', values, { file: values.file, revision: values.revision }, reporter),
  },
  distribute: {
    summary:
      'publish the workspace media to package source folders, verified (versioned or mirror layout); with a site, create or repoint the OS upgrade package and distribute it',
    usage:
      'osmedia distribute --workspace DIR --target DIR [--target DIR …] [--layout versioned|mirror] [--keep N] [--wait SECONDS] [--dry-run] [--site-code P01 --provider HOST --upgrade-package-name NAME --accept-license [--image-package-name NAME] [--dp-group NAME …] [--dp HOST …] [--wait-distribution SECONDS] [--emit-scripts DIR] [--site-state FILE]]',
    options: {
      workspace: workspaceOption,
      target: {
        type: 'string',
        short: 't',
        multiple: true,
        description: 'a package source folder (UNC path or mounted share); repeatable',
        placeholder: 'DIR',
      },
      layout: {
        type: 'string',
        description: 'versioned (default): a new <target>/<version>/ per publish and current.json; mirror: one folder updated in place',
        placeholder: 'LAYOUT',
      },
      keep: { type: 'string', description: 'versioned: how many versions to keep, the current one included (default 2)', placeholder: 'N' },
      wait: { type: 'string', description: 'seconds to wait for another publish to the same target (default 0: fail at once)', placeholder: 'SECONDS' },
      'dry-run': {
        type: 'boolean',
        short: 'n',
        description: 'show what would be copied, replaced and deleted per target, and what would change on the site; change nothing',
      },
      'site-code': {
        type: 'string',
        description: 'ConfigMgr site code: after publishing, create or repoint the OS upgrade package and distribute it',
        placeholder: 'CODE',
      },
      provider: { type: 'string', description: 'the SMS Provider host (with --site-code)', placeholder: 'HOST' },
      'upgrade-package-name': { type: 'string', description: "the OS upgrade package's name in the console (at most 50 characters)", placeholder: 'NAME' },
      'image-package-name': { type: 'string', description: 'also an OS image package from sources/install.wim, with this name', placeholder: 'NAME' },
      'accept-license': { type: 'boolean', description: 'accept the Windows license terms for the package (required with --site-code)' },
      'dp-group': { type: 'string', multiple: true, description: 'a distribution point group to distribute to (repeatable)', placeholder: 'NAME' },
      dp: { type: 'string', multiple: true, description: 'a distribution point to distribute to (repeatable)', placeholder: 'HOST' },
      'wait-distribution': {
        type: 'string',
        description: 'seconds to wait for the distribution to finish, reporting each distribution point (default 0)',
        placeholder: 'SECONDS',
      },
      'emit-scripts': {
        type: 'string',
        description:
          'write the site scripts for the version that would be published to DIR, publish and change nothing, exit 0 (for review); the apply script too when the site can be read',
        placeholder: 'DIR',
      },
      'site-state': {
        type: 'string',
        description:
          'with --dry-run or --emit-scripts: plan the site changes from this result of osmedia-site-read.ps1 (run on a machine with the console) instead of reading the site',
        placeholder: 'FILE',
      },
    },
    async run(values, _p, reporter) {
      const site =
        values['site-code'] === undefined
          ? undefined
          : {
              siteCode: values['site-code'],
              provider: values.provider,
              upgradePackageName: values['upgrade-package-name'],
              imagePackageName: values['image-package-name'],
              acceptLicense: values['accept-license'] === true ? true : undefined,
              distributionPointGroups: values['dp-group'],
              distributionPoints: values.dp,
              waitDistribution: values['wait-distribution'] === undefined ? undefined : Number(values['wait-distribution']),
            };
      const options = {
        targets: values.target as string[] | undefined,
        layout: values.layout,
        keep: values.keep === undefined ? undefined : Number(values.keep),
        wait: values.wait === undefined ? undefined : Number(values.wait),
        site,
      };
      // dryRun, emitScripts and siteState are not step options: they never reach the step (nothing is recorded).
      const { dryRun, emitScripts, siteState: siteStateArg, ...fileArgs } = values.fileArgs ?? {};
      const invocation = { ...values, fileArgs } as Values;
      const emitDir = (values['emit-scripts'] as string | undefined) ?? (typeof emitScripts === 'string' ? emitScripts : undefined);
      if (emitDir || values['dry-run'] || dryRun === true) {
        // Both only look: what would be published (a dry-run publish) and what the site would be asked to do.
        const { distribute, describeTarget, siteInput } = await import('../steps/distribute.ts');
        const { parseOptions } = await import('../pipeline/run-step.ts');
        const { publish } = await import('../distribute/publish.ts');
        const { describeSiteOperations } = await import('../configmgr/site.ts');
        const { describePlan, planSite } = await import('../configmgr/site-plan.ts');
        const { readSite, writeApplyScript, writeSiteScripts } = await import('../configmgr/run-site.ts');
        const { options: raw, context } = stepInvocation(invocation, options, reporter);
        const parsed = parseOptions(distribute.schema, raw, '');
        const siteState = (values['site-state'] as string | undefined) ?? (typeof siteStateArg === 'string' ? siteStateArg : undefined);
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
            [
              describeTarget(t),
              ...t.copy.map((p) => `  copy    ${p}`),
              ...t.replace.map((p) => `  replace ${p}`),
              ...t.delete.map((p) => `  delete  ${p}`),
            ].join('\n'),
          ),
          ...site,
        ].join('\n');
        return { result: { dryRun: true, targets, site }, text };
      }
      const outcome = await runSingleStep('distribute', invocation, options, reporter);
      const summary = (outcome.result as { summary: { targets: import('../distribute/publish.ts').TargetResult[] } }).summary;
      return { result: { ...(outcome.result as object), targets: summary.targets }, text: outcome.text };
    },
  },
  'generate-task-sequence': {
    summary: 'write the in-place upgrade task sequence (ConfigMgr XML) for this media, checked against the manifest',
    usage:
      'osmedia generate-task-sequence --workspace DIR [--out DIR] [--edition SELECTOR] [--package-id ID] [--name NAME] [--scan-only] [--dynamic-update disable|policy|override] [--setup-options "…"]',
    options: {
      workspace: workspaceOption,
      out: { type: 'string', short: 'o', description: 'folder for osmedia-upgrade.xml and its summary (default <workspace>/ts)', placeholder: 'DIR' },
      edition: {
        type: 'string',
        short: 'e',
        description: 'the edition to install (EditionID, exact name or index); required when install.wim holds several',
        placeholder: 'SELECTOR',
      },
      'package-id': {
        type: 'string',
        description: 'the OS upgrade package ID (e.g. P0100123); without it a clearly marked placeholder is used',
        placeholder: 'ID',
      },
      name: { type: 'string', description: 'the task sequence name (at most 50 characters)', placeholder: 'NAME' },
      'scan-only': { type: 'boolean', description: 'a compatibility-scan-only task sequence (Setup /Compat ScanOnly), no upgrade' },
      'dynamic-update': { type: 'string', description: 'Windows Setup Dynamic Update: disable (default), policy or override', placeholder: 'MODE' },
      'setup-options': {
        type: 'string',
        description: 'extra Windows Setup options (OSDSetupAdditionalUpgradeOptions), e.g. "/DiagnosticPrompt Enable"',
        placeholder: 'OPTIONS',
      },
    },
    run: (values, _p, reporter) =>
      runSingleStep(
        'generate-task-sequence',
        values,
        {
          out: values.out,
          edition: values.edition,
          packageId: values['package-id'],
          name: values.name,
          scanOnly: values['scan-only'],
          dynamicUpdate: values['dynamic-update'],
          setupOptions: values['setup-options'],
        },
        reporter,
      ),
  },
};
