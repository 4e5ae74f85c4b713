// What a publish to one target would do, read from the target and the workspace manifest; writes
// nothing. A re-publish compares the workspace manifest with the target's osmedia-published.json
// (same SHA-256), and that with each file on the target by size and mtime at the target's
// granularity; where the mtimes cannot tell (within the granularity, not equal), the file is hashed.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry, Manifest } from '../media/manifest.ts';
import { UsageError } from '../util/errors.ts';
import { exists, hashFile, mapLimit } from '../util/fs.ts';
import { PUBLISHED_MANIFEST, readCurrent, readPublished, VERSION_PATTERN } from './published.ts';
import { compareOnDisk, refuseLinks, scanTarget } from './target-fs.ts';

export type Layout = 'versioned' | 'mirror';

export interface TargetPlan {
  target: string;
  layout: Layout;
  version: string;
  /** The folder ConfigMgr's package source points at after this publish. */
  packageSource: string;
  copy: string[];
  replace: string[];
  link: string[];
  delete: string[];
  removeVersions: string[];
  unchanged: number;
  bytesToCopy: number;
}

/** Where a mirror keeps its lock and staging area: beside the folder, never inside the package. */
export function mirrorStateDir(target: string, api: typeof path.win32 = path): string {
  return api.join(api.dirname(target), `.${api.basename(target)}.osmedia`);
}

/** Published versions in a versioned target, oldest first (by their publish time). */
async function listVersions(target: string): Promise<{ version: string; publishedAt: string }[]> {
  const names = (await readdir(target).catch(() => [] as string[])).filter((n) => VERSION_PATTERN.test(n));
  const versions = await Promise.all(
    names.map(async (version) => ({
      version,
      publishedAt: (await readPublished(path.join(target, version)).catch(() => undefined))?.publishedAt ?? '',
      mtimeMs: (await stat(path.join(target, version))).mtimeMs,
    })),
  );
  return versions.sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : a.mtimeMs - b.mtimeMs));
}

function retention(versions: { version: string }[], keep: number, current: string): string[] {
  const kept = new Set([
    current,
    ...versions
      .map((v) => v.version)
      .reverse()
      .filter((v) => v !== current)
      .slice(0, Math.max(0, keep - 1)),
  ]);
  return versions.map((v) => v.version).filter((v) => !kept.has(v));
}

/**
 * The files of `dir` that still are what `entries` say, by size and mtime at the granularity, and
 * by their hash where those cannot tell. Links in `dir` are refused.
 */
export async function intactFiles(
  dir: string,
  entries: readonly FileEntry[],
  granularityMs: number,
): Promise<{ intact: Set<string>; onDisk: Map<string, unknown> }> {
  const { files: onDisk, links } = await scanTarget(dir);
  refuseLinks(links, dir);
  const intact = new Set<string>();
  const doubt: FileEntry[] = [];
  for (const entry of entries) {
    const verdict = compareOnDisk(entry, onDisk.get(entry.path), granularityMs);
    if (verdict === 'same') intact.add(entry.path);
    else if (verdict === 'doubt') doubt.push(entry);
  }
  await mapLimit(doubt, 2, async (entry) => {
    if ((await hashFile(path.join(dir, ...entry.path.split('/')))) === entry.sha256) intact.add(entry.path);
  });
  return { intact, onDisk };
}

const emptyPlan = (target: string, layout: Layout, version: string, packageSource: string): TargetPlan => ({
  target,
  layout,
  version,
  packageSource,
  copy: [],
  replace: [],
  link: [],
  delete: [],
  removeVersions: [],
  unchanged: 0,
  bytesToCopy: 0,
});

export function plannedNothing(target: string, layout: Layout, version: string): TargetPlan {
  return emptyPlan(target, layout, version, layout === 'versioned' ? path.join(target, version) : target);
}

/** What a publish to one target would do. Reads the target; writes nothing. */
export async function planTarget(manifest: Manifest, target: string, layout: Layout, keep: number, version: string, granularityMs = 2): Promise<TargetPlan> {
  const files = manifest.files;
  if (layout === 'versioned') {
    const plan = emptyPlan(target, layout, version, path.join(target, version));
    const current = await readCurrent(target).catch(() => undefined);
    const versions = await listVersions(target);
    plan.removeVersions = retention([...versions.filter((v) => v.version !== version), { version }], keep, version);
    if (await exists(plan.packageSource)) return { ...plan, unchanged: files.length };
    const previous = current ? await readPublished(path.join(target, current.version)).catch(() => undefined) : undefined;
    const previousFiles = new Map(previous?.files.map((f) => [f.path, f]));
    for (const file of files) {
      const before = previousFiles.get(file.path);
      if (before && before.sha256 === file.sha256 && before.size === file.size) plan.link.push(file.path);
      else {
        plan.copy.push(file.path);
        plan.bytesToCopy += file.size;
      }
    }
    return plan;
  }
  const plan = emptyPlan(target, layout, version, target);
  const published = await readPublished(target).catch(() => undefined);
  const publishedFiles = new Map(published?.files.map((f) => [f.path, f]));
  const same = files.map((f) => publishedFiles.get(f.path)).filter((p, i): p is FileEntry => p?.sha256 === files[i]!.sha256);
  const { intact, onDisk } = await intactFiles(target, same, granularityMs);
  onDisk.delete(PUBLISHED_MANIFEST);
  if (!published && onDisk.size > 0) {
    throw new UsageError(`The mirror target ${target} holds files but no ${PUBLISHED_MANIFEST}: osmedia did not publish it`, {
      fix: 'Choose an empty folder, or a folder osmedia published before; a mirror deletes files that are not in the media.',
    });
  }
  // Windows shares ignore letter case: a file whose name only changed case is replaced, not deleted.
  const wanted = new Set(files.map((f) => f.path.toUpperCase()));
  const onDiskFolded = new Set([...onDisk.keys()].map((p) => p.toUpperCase()));
  for (const file of files) {
    if (intact.has(file.path)) plan.unchanged++;
    else {
      (onDiskFolded.has(file.path.toUpperCase()) ? plan.replace : plan.copy).push(file.path);
      plan.bytesToCopy += file.size;
    }
  }
  plan.delete = [...onDisk.keys()].filter((p) => !wanted.has(p.toUpperCase())).sort();
  return plan;
}
