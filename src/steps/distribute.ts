// distribute: publishes the workspace media to package source folders (see src/distribute/), then,
// when a site is named, has ConfigMgr create or repoint the OS upgrade package at the published
// folder and distribute it (src/configmgr/site.ts).
import { z } from 'zod';
import { runSiteOperations, type SiteResult } from '../configmgr/run-site.ts';
import { packageDescription, SiteOptionsSchema, type SiteScriptInput } from '../configmgr/site.ts';
import { publish, type TargetResult } from '../distribute/publish.ts';
import type { Manifest } from '../media/manifest.ts';
import { dryRunField, list } from './fields.ts';
import { preflight as targetPreflight } from '../distribute/target-fs.ts';
import { normalizeTarget } from '../distribute/win-path.ts';
import { check } from './preflight.ts';
import type { Problem, Step } from './types.ts';

export const DistributeOptionsSchema = z.strictObject({
  targets: list(z.string().min(1), 'at least one target folder (a package source share)').meta({
    flag: 'target',
    short: 't',
    formerInputs: ['targets'],
    placeholder: 'DIR',
    example: '\\\\cm01\\sources$\\OS\\Win11',
    description: 'a package source folder (UNC path or mounted share); repeatable',
  }),
  layout: z.enum(['versioned', 'mirror']).default('versioned').meta({
    flag: 'layout',
    placeholder: 'LAYOUT',
    description: 'versioned (default): a new <target>/<version>/ per publish and current.json; mirror: one folder updated in place',
  }),
  /** Versioned layout: versions kept, the current one included (never deleted). */
  keep: z
    .number()
    .int()
    .min(1)
    .default(2)
    .meta({ flag: 'keep-versions', placeholder: 'N', description: 'versioned: how many versions to keep, the current one included (default 2)' }),
  /** Seconds to wait for another publish to the same target before failing. */
  wait: z
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ flag: 'wait', placeholder: 'SECONDS', description: 'seconds to wait for another publish to the same target (default 0: fail at once)' }),
  /** The ConfigMgr site: the OS upgrade package is pointed at the first target's published folder. */
  site: SiteOptionsSchema.optional().meta({
    description:
      'the ConfigMgr site (recipe distribute.site): after publishing, the OS upgrade package is created or repointed at the published folder and distributed (needs the ConfigMgr console; README: ConfigMgr permissions)',
  }),
});
export type DistributeOptions = z.infer<typeof DistributeOptionsSchema>;

/** Flags of the distribute command that only look (nothing is published or recorded). */
export const DistributeFlags = z.object({
  dryRun: dryRunField('show what would be copied, replaced and deleted per target, and what would change on the site; change nothing'),
  emitScripts: z
    .string()
    .min(1)
    .optional()
    .meta({
      flag: 'emit-scripts',
      placeholder: 'DIR',
      hosts: ['cli', 'jenkins'],
      description:
        'write the site scripts for the version that would be published to DIR, publish and change nothing, exit 0 (for review); the apply script too when the site can be read',
    }),
  siteState: z
    .string()
    .min(1)
    .optional()
    .meta({
      flag: 'site-state',
      placeholder: 'FILE',
      hosts: ['cli', 'jenkins'],
      description:
        'with --dry-run or --emit-scripts: plan the site changes from this result of osmedia-site-read.ps1 (run on a machine with the console) instead of reading the site',
    }),
});

export function describeTarget(r: TargetResult): string {
  const what =
    r.action === 'dry-run'
      ? `would ${r.copy.length + r.replace.length ? `copy ${r.copy.length}, replace ${r.replace.length}` : 'copy nothing'}${r.link.length ? `, link ${r.link.length}` : ''}${r.delete.length ? `, delete ${r.delete.length}` : ''}${r.removeVersions.length ? `, remove versions ${r.removeVersions.join(', ')}` : ''}`
      : `${r.action}: ${r.filesCopied} copied, ${r.filesLinked} linked, ${r.filesSkipped} unchanged${r.delete.length ? `, ${r.delete.length} deleted` : ''}${r.removeVersions.length ? `; removed ${r.removeVersions.join(', ')}` : ''}`;
  return `${r.target} [${r.layout} ${r.version}] ${what}`;
}

/** The site script's input for media published at sourcePath. */
export function siteInput(manifest: Manifest, site: NonNullable<DistributeOptions['site']>, sourcePath: string, contentHash?: string): SiteScriptInput {
  const revision = [...manifest.history].reverse().find((h) => h.step === 'stamp-build-file' && h.result === 'succeeded')?.options['revision'];
  const kbs = [...new Set(manifest.updates.map((u) => String(u['kb'] ?? '')).filter(Boolean))];
  return {
    site,
    sourcePath,
    version: manifest.installWim.images[0]?.version ?? 'unknown',
    description: packageDescription(
      contentHash ?? manifest.fingerprint.slice(0, 8),
      manifest.installWim.images.map((i) => i.editionId || i.name),
      kbs,
      typeof revision === 'string' ? revision.slice(0, 12) : undefined,
    ),
  };
}

export type DistributeSummary = { targets: TargetResult[]; site?: SiteResult & { licenseAccepted: true } };

export const distribute: Step<DistributeOptions, string[], DistributeSummary> = {
  id: 'distribute',
  title: 'Publishing media to the package source folders',
  schema: DistributeOptionsSchema,
  effect: 'external',

  plan(_manifest, options) {
    const lines = options.targets.map((t) => `publish to ${t} (${options.layout}${options.layout === 'versioned' ? `, keep ${options.keep}` : ''})`);
    if (options.site)
      lines.push(
        `then on site ${options.site.siteCode}: create or repoint the OS upgrade package "${options.site.upgradePackageName}"${options.site.imagePackageName ? ` and the OS image "${options.site.imagePackageName}"` : ''}, and distribute it`,
      );
    return lines;
  },

  /** Checks that need no change, before the run's first step: each target's parent folder is there (the share is reachable) and its path is one a share can hold. */
  async preflight(_context, _before, options) {
    const problems: Problem[] = [];
    for (const raw of options.targets) await check('distribute', problems, () => targetPreflight(normalizeTarget(raw), [], 0));
    return { problems };
  },

  async apply(context, manifest, options) {
    const results = await publish(
      context.workspace,
      manifest,
      { ...options, targets: options.targets, waitMs: options.wait * 1000, dryRun: false, command: `osmedia distribute (${context.workspace.root})` },
      context.reporter,
    );
    if (!options.site) {
      return {
        manifest,
        summary: { targets: results },
        message: results.map(describeTarget).join('; '),
        unchanged: results.every((r) => r.action === 'unchanged'),
      };
    }
    // The package source is the first target's published folder (the version folder, or the mirror).
    // The hash of the content that stands at the package source: after `run --force` from unchanged inputs
    // that is the version already published (its name ends with its hash), so the site sees no change.
    const standing = /-([0-9a-f]{8})$/.exec(results[0]!.version)?.[1];
    const site = await runSiteOperations(context.workspace, siteInput(manifest, options.site, results[0]!.packageSource, standing), context.reporter);
    const upgrade = site.upgradePackage;
    const installed = site.distribution.filter((d) => d.state === 'installed').length;
    return {
      manifest,
      summary: { targets: results, site: { ...site, licenseAccepted: true } },
      message: `${results.map(describeTarget).join('; ')}; site ${site.siteCode}: OS upgrade package ${upgrade.packageId} ${upgrade.action}${site.imagePackage ? `, OS image ${site.imagePackage.packageId} ${site.imagePackage.action}` : ''}, ${site.changes.length} change(s)${site.waited ? `, ${installed}/${site.distribution.length} distribution point(s) installed` : ''}`,
      unchanged: results.every((r) => r.action === 'unchanged') && site.changes.length === 0,
    };
  },
};
