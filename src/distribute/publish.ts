// Publishes workspace media to package source folders, in one of two layouts:
//
// versioned  <target>/<version>/ per publish (never changed afterwards) and <target>/current.json
//            naming the current one. Built in <target>/.osmedia-staging/, verified, renamed into
//            place, and only then made current. Unchanged files are hard-linked from the previous
//            version where the file system allows. The newest --keep versions are kept.
// mirror     one fixed folder updated in place. Changed files are staged beside it
//            (<parent>/.<name>.osmedia/), verified, and swapped in one rename each.
//
// This module runs a publish: checks (names, paths, space), the lock, the plan (plan.ts), staging
// (staging.ts) and the switch (switch.ts), on the target back end (target-fs.ts).
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import { UsageError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { acquireLock } from '../util/lock.ts';
import { checkNames } from './names.ts';
import { mirrorStateDir, plannedNothing, planTarget, type Layout, type TargetPlan } from './plan.ts';
import { equivalentPublished, versionName } from './published.ts';
import { publishMirror, publishVersioned } from './switch.ts';
import { isRoot, normalizeTarget } from './win-path.ts';
import { preflight, probeTarget, refuseLinkAt, targetError } from './target-fs.ts';

export type { Layout, TargetPlan } from './plan.ts';
export { planTarget } from './plan.ts';

export interface PublishOptions {
  targets: string[];
  layout: Layout;
  /** Versioned layout: how many versions to keep, the current one included. */
  keep: number;
  dryRun: boolean;
  /** How long to wait for another publish to the same target to finish. */
  waitMs: number;
  command: string;
  now?: () => Date;
}

export interface TargetResult extends TargetPlan {
  action: 'published' | 'unchanged' | 'dry-run';
  filesCopied: number;
  filesLinked: number;
  filesSkipped: number;
  bytesCopied: number;
  durationMs: number;
  verified: { files: number; ok: boolean };
  warnings: string[];
}

const TARGET_LOCK = '.osmedia-lock';

/** Publishes the workspace media to every target, one after the other. */
export async function publish(workspace: Workspace, manifest: Manifest, options: PublishOptions, reporter: Reporter): Promise<TargetResult[]> {
  if (options.targets.length === 0) throw new UsageError('No --target given', { fix: 'Pass at least one --target DIR (a package source folder or share).' });
  const results: TargetResult[] = [];
  for (const raw of options.targets) {
    const target = normalizeTarget(raw);
    // Media rebuilt from the inputs the current version was made from (--force) is that version: it stands, nothing is copied.
    const same = await equivalentPublished(manifest, target, options.layout);
    const media: Manifest = same ? { ...manifest, fingerprint: same.fingerprint, files: same.files } : manifest;
    const version = same?.version ?? versionName(manifest);
    if (options.layout === 'mirror' && isRoot(target)) {
      throw new UsageError(`A mirror target cannot be the root of a drive or share (${target})`, {
        fix: 'Use a folder below it, e.g. \\\\server\\share\\OS\\Win11: the mirror stages changes in a folder beside its target, and deletes files that are not media.',
      });
    }
    const started = Date.now();
    const controlDir = options.layout === 'versioned' ? target : mirrorStateDir(target);
    // A dry run plans without the lock; a publish plans under it (another publish may finish while we wait).
    const plan: TargetPlan = options.dryRun
      ? // Without writing a probe the granularity is unknown: any mtime difference is settled by hashing.
        await planTarget(media, target, options.layout, options.keep, version, Number.POSITIVE_INFINITY)
      : plannedNothing(target, options.layout, version);
    const result: TargetResult = {
      ...plan,
      action: options.dryRun ? 'dry-run' : 'published',
      filesCopied: 0,
      filesLinked: 0,
      filesSkipped: 0,
      bytesCopied: 0,
      durationMs: 0,
      verified: { files: 0, ok: false },
      warnings: [],
    };
    if (!options.dryRun) {
      // Checks that need no writing come first: a name the share cannot store, a missing parent or
      // a full disk fails before anything changes.
      const relPaths = media.files.map((f) => (options.layout === 'versioned' ? `${version}/${f.path}` : f.path));
      checkNames(
        media.files.map((f) => f.path),
        options.layout === 'versioned' ? path.join(target, version) : target,
      );
      const warn = (warning: string) => {
        result.warnings.push(warning);
        reporter.emit({ type: 'warning', step: 'distribute', message: warning });
      };
      (await preflight(target, relPaths, 0)).forEach(warn);
      await refuseLinkAt(controlDir, target);
      const traits = await probeTarget(controlDir, target);
      const release = await acquireLock(path.join(controlDir, options.layout === 'versioned' ? TARGET_LOCK : 'lock'), {
        what: `the target ${target}`,
        command: options.command,
        reporter,
        waitMs: options.waitMs,
      });
      try {
        const fresh = await planTarget(media, target, options.layout, options.keep, version, traits.mtimeGranularityMs);
        Object.assign(result, fresh);
        (await preflight(target, [], fresh.bytesToCopy)).forEach(warn);
        if (options.layout === 'versioned') await publishVersioned(workspace, media, fresh, options, traits, reporter, result);
        else await publishMirror(workspace, media, fresh, options, traits, reporter, result);
      } catch (error) {
        throw targetError(error, target, 'publishing');
      } finally {
        await release();
        if (options.layout === 'mirror') await rmdir(controlDir).catch(() => {}); // only when empty
      }
    }
    result.durationMs = Date.now() - started;
    reporter.emit({
      type: 'info',
      step: 'distribute',
      message: `${target}: ${result.action} ${result.version} (${result.filesCopied} copied, ${result.filesLinked} linked, ${result.filesSkipped} unchanged${result.delete.length ? `, ${result.delete.length} deleted` : ''})`,
    });
    results.push(result);
  }
  return results;
}
