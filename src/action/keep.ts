// What the Action keeps beyond the workspace: the imported media in the Actions cache (keyed by
// the ISO's SHA-256, so only a pinned source can be restored before importing), and the manifest,
// build files and tool logs as a workflow artifact. Where the service is missing (outside
// Actions, GitHub Enterprise Server for artifacts, a cache service that is off), both degrade to
// a notice: keeping copies must never fail a servicing run.
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../util/fs.ts';
import type { Workspace } from '../media/workspace.ts';

/** The cache key of an import: the source's SHA-256 and how install.wim is made. */
export function importCacheKey(sha256: string, compression: string): string {
  return `osmedia-import-v1-${sha256.toLowerCase()}-${compression}`;
}

function unavailable(what: string, why: string): void {
  core.notice(`${what} skipped: ${why}`, { title: 'osmedia' });
}

/** Restores an earlier import of the same ISO into an empty workspace. True when restored. */
export async function restoreImport(workspace: Workspace, sha256: string | undefined, compression: string): Promise<boolean> {
  if (!sha256) return false; // without a pin the key is only known after importing
  if (!cache.isFeatureAvailable()) {
    unavailable('Restoring the imported media from the Actions cache', 'the cache service is not available to this job');
    return false;
  }
  if (await exists(workspace.manifestPath)) return false;
  try {
    const hit = await cache.restoreCache([workspace.root], importCacheKey(sha256, compression));
    if (hit) core.info(`restored the imported media from the Actions cache (${hit})`);
    return Boolean(hit);
  } catch (error) {
    core.notice(`Restoring from the Actions cache failed (${(error as Error).message}); importing instead`, { title: 'osmedia' });
    return false;
  }
}

/** Saves a fresh import to the cache, keyed by the ISO's SHA-256. */
export async function saveImport(workspace: Workspace, sha256: string, compression: string): Promise<void> {
  if (!cache.isFeatureAvailable()) return unavailable('Saving the imported media to the Actions cache', 'the cache service is not available to this job');
  try {
    await cache.saveCache([workspace.root], importCacheKey(sha256, compression));
    core.info('saved the imported media to the Actions cache');
  } catch (error) {
    core.notice(`Saving to the Actions cache failed: ${(error as Error).message}`, { title: 'osmedia' });
  }
}

/** The files worth keeping from a run: manifest, build files, tool logs. */
export async function artifactFiles(workspace: Workspace): Promise<string[]> {
  const files: string[] = [];
  if (await exists(workspace.manifestPath)) files.push(workspace.manifestPath);
  for (const name of ['osmedia-build.txt', 'osmedia-build.json']) {
    const file = path.join(workspace.mediaDir, 'sources', name);
    if (await exists(file)) files.push(file);
  }
  const logs = await readdir(workspace.logsDir).catch(() => [] as string[]);
  files.push(...logs.map((name) => path.join(workspace.logsDir, name)));
  return files;
}

/** Uploads the run's manifest, build files and logs as one artifact. */
export async function uploadArtifacts(workspace: Workspace, name: string): Promise<void> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN) return unavailable('Uploading the artifact', 'not running in GitHub Actions (no ACTIONS_RUNTIME_TOKEN)');
  const files = await artifactFiles(workspace);
  if (files.length === 0) return;
  try {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const result = await new DefaultArtifactClient().uploadArtifact(name, files, workspace.root, { retentionDays: 90 });
    core.info(`uploaded artifact ${name} (${files.length} files, id ${result.id ?? '?'})`);
  } catch (error) {
    // GitHub Enterprise Server without artifact v4, or a transient failure: a notice, not a failure.
    core.notice(`Uploading the artifact ${name} failed: ${(error as Error).message}`, { title: 'osmedia' });
  }
}
