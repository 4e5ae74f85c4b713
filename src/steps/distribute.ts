// distribute: publishes the workspace media to package source folders (see src/distribute/).
// ConfigMgr site operations (create or refresh the package, distribution points) come on top of
// this in a later step; here the media lands, verified, where the package source points.
import { z } from 'zod';
import { publish, type TargetResult } from '../distribute/publish.ts';
import type { Step } from './types.ts';

export const DistributeOptionsSchema = z.strictObject({
  targets: z.array(z.string().min(1)).min(1, 'at least one target folder (a package source share)'),
  layout: z.enum(['versioned', 'mirror']).default('versioned'),
  /** Versioned layout: versions kept, the current one included (never deleted). */
  keep: z.number().int().min(1).default(2),
  /** Seconds to wait for another publish to the same target before failing. */
  wait: z.number().int().min(0).default(0),
});
export type DistributeOptions = z.infer<typeof DistributeOptionsSchema>;

export function describeTarget(r: TargetResult): string {
  const what = r.action === 'dry-run'
    ? `would ${r.copy.length + r.replace.length ? `copy ${r.copy.length}, replace ${r.replace.length}` : 'copy nothing'}${r.link.length ? `, link ${r.link.length}` : ''}${r.delete.length ? `, delete ${r.delete.length}` : ''}${r.removeVersions.length ? `, remove versions ${r.removeVersions.join(', ')}` : ''}`
    : `${r.action}: ${r.filesCopied} copied, ${r.filesLinked} linked, ${r.filesSkipped} unchanged${r.delete.length ? `, ${r.delete.length} deleted` : ''}${r.removeVersions.length ? `; removed ${r.removeVersions.join(', ')}` : ''}`;
  return `${r.target} [${r.layout} ${r.version}] ${what}`;
}

export const distribute: Step<DistributeOptions> = {
  id: 'distribute',
  title: 'Publishing media to the package source folders',
  schema: DistributeOptionsSchema,
  effect: 'external',

  plan(_manifest, options) {
    return options.targets.map((t) => `publish to ${t} (${options.layout}${options.layout === 'versioned' ? `, keep ${options.keep}` : ''})`);
  },

  async apply(context, manifest, options) {
    const results = await publish(context.workspace, manifest, { ...options, targets: options.targets, waitMs: options.wait * 1000, dryRun: false, command: `osmedia distribute (${context.workspace.root})` }, context.reporter);
    return {
      manifest,
      summary: { targets: results },
      message: results.map(describeTarget).join('; '),
      unchanged: results.every((r) => r.action === 'unchanged'),
    };
  },
};
