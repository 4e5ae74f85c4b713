// What the Action keeps beyond the workspace: the imported media in the Actions cache (keyed by
// the ISO's SHA-256, so only a pinned source can be restored before importing), and the manifest,
// build files and tool logs as a workflow artifact. Where the service is missing (outside
// Actions, GitHub Enterprise Server for artifacts, a cache service that is off), both degrade to
// a notice: keeping copies must never fail a servicing run.
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSha256Sums } from '../updates/inputs.ts';
import { exists, listTree } from '../util/fs.ts';
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

/**
 * The cache key of an updates folder: the SHA-256 of its SHA256SUMS, i.e. of the pinned files'
 * hashes and names. Only a pinned folder has a key before its files are read.
 */
export function updatesCacheKey(sums: string): string {
  return `osmedia-updates-v1-${createHash('sha256').update(sums.replace(/\r\n/g, '\n')).digest('hex')}`;
}

/** Where a cached copy of an updates folder lives on this runner. */
function updatesCacheDir(key: string): string {
  return path.join(process.env.RUNNER_TEMP ?? path.join(process.cwd(), '.osmedia-runner'), 'osmedia-updates', key);
}

/**
 * For a pinned updates folder (a share, usually): a local copy restored from the Actions cache, or
 * undefined. The pins are checked again when apply-updates hashes the files, so a cache can never
 * bring in a file the SHA256SUMS did not name.
 */
export async function restoreUpdates(from: string): Promise<{ key: string; dir: string; hit: boolean } | undefined> {
  const sumsFile = path.join(from, 'SHA256SUMS');
  if (!(await exists(sumsFile))) return undefined; // unpinned: no key before reading every file
  const key = updatesCacheKey(await readFile(sumsFile, 'utf8'));
  const dir = updatesCacheDir(key);
  if (!cache.isFeatureAvailable()) {
    unavailable('Restoring the updates from the Actions cache', 'the cache service is not available to this job');
    return { key, dir, hit: false };
  }
  try {
    const hit = await cache.restoreCache([dir], key);
    if (hit) core.info(`restored the updates from the Actions cache (${hit}); reading them from ${dir}`);
    return { key, dir, hit: Boolean(hit) };
  } catch (error) {
    core.notice(`Restoring the updates from the Actions cache failed (${(error as Error).message}); reading them from ${from}`, { title: 'osmedia' });
    return { key, dir, hit: false };
  }
}

/** Saves the pinned files of an updates folder (those SHA256SUMS names) to the cache. */
export async function saveUpdates(from: string, key: string, dir: string): Promise<void> {
  if (!cache.isFeatureAvailable()) return unavailable('Saving the updates to the Actions cache', 'the cache service is not available to this job');
  try {
    const names = new Set(parseSha256Sums(await readFile(path.join(from, 'SHA256SUMS'), 'utf8')).keys());
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(from, 'SHA256SUMS'), path.join(dir, 'SHA256SUMS'));
    for (const file of await listTree(from)) {
      if (!file.path.includes('/') && names.has(file.path.toLowerCase())) await copyFile(path.join(from, file.path), path.join(dir, file.path));
    }
    await cache.saveCache([dir], key);
    core.info('saved the updates to the Actions cache');
  } catch (error) {
    core.notice(`Saving the updates to the Actions cache failed: ${(error as Error).message}`, { title: 'osmedia' });
  }
}

/** The files worth keeping from a run: manifest, build files, task sequence, site script, tool and DISM logs. */
export async function artifactFiles(workspace: Workspace): Promise<string[]> {
  const files: string[] = [];
  if (await exists(workspace.manifestPath)) files.push(workspace.manifestPath);
  for (const name of ['osmedia-build.txt', 'osmedia-build.json']) {
    const file = path.join(workspace.mediaDir, 'sources', name);
    if (await exists(file)) files.push(file);
  }
  for (const dir of [workspace.logsDir, path.join(workspace.root, 'ts'), path.join(workspace.root, 'scripts')]) {
    const tree = await listTree(dir).catch(() => []);
    files.push(...tree.map((f) => path.join(dir, ...f.path.split('/'))));
  }
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
