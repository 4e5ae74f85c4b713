// Publishes workspace media to package source folders, in one of two layouts:
//
// versioned  <target>/<version>/ per publish (never changed afterwards) and <target>/current.json
//            naming the current one. Built in <target>/.osmedia-staging/, verified, renamed into
//            place, and only then made current. Unchanged files are hard-linked from the previous
//            version where the file system allows. The newest --keep versions are kept.
// mirror     one fixed folder updated in place. Changed files are staged beside it
//            (<parent>/.<name>.osmedia/), verified, and swapped in one rename each.
//
// A re-publish compares the workspace manifest with the target's osmedia-published.json, checked
// against size and mtime on the target, so unchanged media copies nothing.
import { appendFile, chmod, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry, Manifest } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { byteFault, faultPoint } from '../util/fault.ts';
import { exists, listTree, mapLimit, removeTree, writeFileAtomic } from '../util/fs.ts';
import { acquireLock } from '../util/lock.ts';
import { OSMEDIA_VERSION } from '../version.ts';
import {
  CURRENT_POINTER,
  equivalentPublished,
  PUBLISHED_MANIFEST,
  publishedFrom,
  readCurrent,
  readPublished,
  VERSION_PATTERN,
  versionName,
  type Current,
} from './published.ts';
import { copyVerified, preflight, probeWritable, targetError, tryLink } from './target-fs.ts';

export type Layout = 'versioned' | 'mirror';

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

const STAGING = '.osmedia-staging';
const TARGET_LOCK = '.osmedia-lock';
/** Copies in flight: the OS copies while other files are read back and hashed. */
const WORKERS = 4;

/** Where a mirror keeps its lock and staging area: beside the folder, never inside the package. */
function mirrorStateDir(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.osmedia`);
}

/**
 * Copies keep the media's mtime, but setting a time goes through floating-point seconds and can
 * land a millisecond off: mtimes within this window count as the same (like rsync's --modify-window).
 */
const MTIME_WINDOW_MS = 2;

/** Whether a file on the target still is what the published manifest says (size and mtime). */
function sameOnDisk(entry: FileEntry, onDisk: { size: number; mtimeMs: number } | undefined): boolean {
  return onDisk !== undefined && onDisk.size === entry.size && Math.abs(onDisk.mtimeMs - entry.mtimeMs) <= MTIME_WINDOW_MS;
}

async function treeIndex(dir: string): Promise<Map<string, { size: number; mtimeMs: number }>> {
  if (!(await exists(dir))) return new Map();
  return new Map((await listTree(dir)).map((f) => [f.path, f]));
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

/** What a publish to one target would do. Reads the target; writes nothing. */
export async function planTarget(manifest: Manifest, target: string, layout: Layout, keep: number, version: string): Promise<TargetPlan> {
  const files = manifest.files;
  const base = {
    target,
    layout,
    version,
    copy: [] as string[],
    replace: [] as string[],
    link: [] as string[],
    delete: [] as string[],
    removeVersions: [] as string[],
    unchanged: 0,
    bytesToCopy: 0,
  };
  if (layout === 'versioned') {
    const packageSource = path.join(target, version);
    const current = await readCurrent(target).catch(() => undefined);
    const versions = await listVersions(target);
    const removeVersions = retention([...versions.filter((v) => v.version !== version), { version }], keep, version);
    if (await exists(packageSource)) return { ...base, packageSource, unchanged: files.length, removeVersions };
    const previous = current ? await readPublished(path.join(target, current.version)).catch(() => undefined) : undefined;
    const previousFiles = new Map(previous?.files.map((f) => [f.path, f]));
    const plan = { ...base, packageSource, removeVersions };
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
  const published = await readPublished(target).catch(() => undefined);
  const onDisk = await treeIndex(target);
  onDisk.delete(PUBLISHED_MANIFEST);
  if (!published && onDisk.size > 0) {
    throw new UsageError(`The mirror target ${target} holds files but no ${PUBLISHED_MANIFEST}: osmedia did not publish it`, {
      fix: 'Choose an empty folder, or a folder osmedia published before; a mirror deletes files that are not in the media.',
    });
  }
  const publishedFiles = new Map(published?.files.map((f) => [f.path, f]));
  const plan = { ...base, packageSource: target };
  const wanted = new Set(files.map((f) => f.path));
  for (const file of files) {
    const before = publishedFiles.get(file.path);
    const disk = onDisk.get(file.path);
    if (before && before.sha256 === file.sha256 && sameOnDisk(before, disk)) plan.unchanged++;
    else {
      (disk ? plan.replace : plan.copy).push(file.path);
      plan.bytesToCopy += file.size;
    }
  }
  plan.delete = [...onDisk.keys()].filter((p) => !wanted.has(p)).sort();
  return plan;
}

interface CopyProgress {
  done: number;
  total: number;
  files: number;
  fileCount: number;
  started: number;
}

function progressReporter(reporter: Reporter, target: string, progress: CopyProgress): (bytes: number) => void {
  const fault = byteFault();
  return (bytes) => {
    progress.done += bytes;
    fault(bytes);
    const seconds = Math.max(0.001, (Date.now() - progress.started) / 1000);
    reporter.emit({
      type: 'progress',
      step: 'distribute',
      phase: `copying to ${target}`,
      detail: `${progress.files}/${progress.fileCount} files, ${(progress.done / 1048576 / seconds).toFixed(0)} MiB/s`,
      done: progress.done,
      total: progress.total,
      unit: 'bytes',
    });
  };
}

/** Files a killed run already copied and verified into staging: their paths, from an append-only log. */
async function readProgressLog(log: string): Promise<Set<string>> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return new Set(text.split('\n').filter(Boolean));
}

async function stageFiles(
  workspace: Workspace,
  files: readonly FileEntry[],
  stage: string,
  log: string,
  reporter: Reporter,
  target: string,
  linkFrom?: { dir: string; files: Map<string, FileEntry> },
): Promise<{ copied: number; linked: number; reused: number; bytes: number }> {
  const logged = await readProgressLog(log);
  const counts = { copied: 0, linked: 0, reused: 0, bytes: 0 };
  // A logged file counts only while it is still in staging with its size (a mirror swap moves it out).
  const reusable = await Promise.all(
    files.map(
      async (f) =>
        logged.has(f.path) &&
        (await stat(path.join(stage, ...f.path.split('/'))).then(
          (s) => s.size === f.size,
          () => false,
        )),
    ),
  );
  const todo = files.filter((_, i) => !reusable[i]);
  counts.reused = files.length - todo.length;
  const progress: CopyProgress = { done: 0, total: todo.reduce((s, f) => s + f.size, 0), files: 0, fileCount: todo.length, started: Date.now() };
  const onBytes = progressReporter(reporter, target, progress);
  await mapLimit(todo, WORKERS, async (file) => {
    const dest = path.join(stage, ...file.path.split('/'));
    const previous = linkFrom?.files.get(file.path);
    if (
      previous &&
      previous.sha256 === file.sha256 &&
      previous.size === file.size &&
      (await tryLink(path.join(linkFrom!.dir, ...file.path.split('/')), dest))
    ) {
      counts.linked++;
    } else {
      await copyVerified(workspace.media(file.path), dest, file.sha256, onBytes);
      counts.copied++;
      counts.bytes += file.size;
    }
    progress.files++;
    await appendFile(log, `${file.path}\n`);
  });
  return counts;
}

async function publishVersioned(
  workspace: Workspace,
  manifest: Manifest,
  plan: TargetPlan,
  options: PublishOptions,
  reporter: Reporter,
  result: TargetResult,
): Promise<void> {
  const { target, version } = plan;
  const finalDir = plan.packageSource;
  const current = await readCurrent(target);
  if (await exists(finalDir)) {
    // Content-addressed: this exact media was published before. Check it is still intact.
    const published = await readPublished(finalDir);
    const onDisk = await treeIndex(finalDir);
    const damaged = published?.files.filter((f) => !sameOnDisk(f, onDisk.get(f.path))).map((f) => f.path) ?? ['osmedia-published.json'];
    if (!published || published.fingerprint !== manifest.fingerprint || damaged.length > 0) {
      throw new MediaError(
        `The published version ${finalDir} no longer matches its manifest (${damaged.slice(0, 3).join(', ')}${damaged.length > 3 ? ', …' : ''})`,
        {
          fix: `Run \`osmedia verify --target ${target} --version ${version}\` to see what changed; delete that folder${current?.version === version ? ' (it is current: point ConfigMgr elsewhere first)' : ''} and publish again.`,
        },
      );
    }
    result.filesSkipped = manifest.files.length;
  } else {
    const stagingRoot = path.join(target, STAGING);
    const stage = path.join(stagingRoot, version);
    const log = path.join(stagingRoot, `${version}.done`);
    await mkdir(stage, { recursive: true });
    const previous = current ? await readPublished(path.join(target, current.version)).catch(() => undefined) : undefined;
    const counts = await stageFiles(
      workspace,
      manifest.files,
      stage,
      log,
      reporter,
      target,
      previous && current ? { dir: path.join(target, current.version), files: new Map(previous.files.map((f) => [f.path, f])) } : undefined,
    );
    Object.assign(result, { filesCopied: counts.copied, filesLinked: counts.linked, filesSkipped: counts.reused, bytesCopied: counts.bytes });
    await writeFileAtomic(
      path.join(stage, PUBLISHED_MANIFEST),
      `${JSON.stringify(publishedFrom(manifest, version, OSMEDIA_VERSION, (options.now ?? (() => new Date()))()), null, 2)}\n`,
    );
    await chmod(path.join(stage, PUBLISHED_MANIFEST), 0o444);
    faultPoint('publish-staged');
    await rename(stage, finalDir);
    faultPoint('publish-renamed');
  }
  // Whatever is left in staging belongs to this publish or to abandoned ones: not needed any more.
  await removeTree(path.join(target, STAGING));
  result.verified = { files: manifest.files.length, ok: true };
  if (current?.version !== version) {
    const pointer: Current = {
      version,
      build: manifest.installWim.images[0]?.version ?? 'unknown',
      fingerprint: manifest.fingerprint,
      publishedAt: (options.now ?? (() => new Date()))().toISOString(),
      previous: current?.version ?? null,
    };
    await writeFileAtomic(path.join(target, CURRENT_POINTER), `${JSON.stringify(pointer, null, 2)}\n`);
    faultPoint('publish-current');
  } else if (result.filesCopied === 0 && result.filesLinked === 0) {
    result.action = 'unchanged';
  }
  for (const old of plan.removeVersions) {
    // Renamed away first, so a half-deleted version is never visible under its name.
    const trash = path.join(target, `.osmedia-trash-${old}-${process.pid}`);
    await rename(path.join(target, old), trash);
    await removeTree(trash);
    reporter.emit({ type: 'info', step: 'distribute', message: `removed old version ${old} from ${target} (keeping ${options.keep})` });
  }
}

async function publishMirror(
  workspace: Workspace,
  manifest: Manifest,
  plan: TargetPlan,
  options: PublishOptions,
  reporter: Reporter,
  result: TargetResult,
): Promise<void> {
  const { target } = plan;
  const state = mirrorStateDir(target);
  const stage = path.join(state, 'staging');
  const log = path.join(state, 'staging.done');
  const changed = new Set([...plan.copy, ...plan.replace]);
  const firstPublish = !(await exists(target));
  const files = manifest.files.filter((f) => changed.has(f.path));
  const counts = await stageFiles(workspace, files, stage, log, reporter, target);
  Object.assign(result, { filesCopied: counts.copied, filesSkipped: plan.unchanged + counts.reused, bytesCopied: counts.bytes });
  const published = publishedFrom(manifest, plan.version, OSMEDIA_VERSION, (options.now ?? (() => new Date()))());
  if (firstPublish) {
    // Nothing there yet: the whole tree appears at once.
    await writeFileAtomic(path.join(stage, PUBLISHED_MANIFEST), `${JSON.stringify(published, null, 2)}\n`);
    await rename(stage, target);
  } else {
    for (const file of files) {
      const dest = path.join(target, ...file.path.split('/'));
      await mkdir(path.dirname(dest), { recursive: true });
      await chmod(dest, 0o644).catch(() => {}); // Windows refuses to replace a read-only file
      await rename(path.join(stage, ...file.path.split('/')), dest);
      faultPoint('mirror-swapped');
    }
    for (const extra of plan.delete) {
      const file = path.join(target, ...extra.split('/'));
      await chmod(file, 0o644).catch(() => {});
      await rm(file, { force: true });
    }
    if (files.length > 0 || plan.delete.length > 0) {
      await chmod(path.join(target, PUBLISHED_MANIFEST), 0o644).catch(() => {});
      await writeFileAtomic(path.join(target, PUBLISHED_MANIFEST), `${JSON.stringify(published, null, 2)}\n`);
    }
  }
  await chmod(path.join(target, PUBLISHED_MANIFEST), 0o444);
  await removeTree(state);
  result.verified = { files: files.length, ok: true };
  if (files.length === 0 && plan.delete.length === 0) result.action = 'unchanged';
}

function emptyPlan(target: string, layout: Layout, version: string): TargetPlan {
  return {
    target,
    layout,
    version,
    packageSource: layout === 'versioned' ? path.join(target, version) : target,
    copy: [],
    replace: [],
    link: [],
    delete: [],
    removeVersions: [],
    unchanged: 0,
    bytesToCopy: 0,
  };
}

/** Publishes the workspace media to every target, one after the other. */
export async function publish(workspace: Workspace, manifest: Manifest, options: PublishOptions, reporter: Reporter): Promise<TargetResult[]> {
  if (options.targets.length === 0) throw new UsageError('No --target given', { fix: 'Pass at least one --target DIR (a package source folder or share).' });
  const results: TargetResult[] = [];
  for (const raw of options.targets) {
    const target = path.resolve(raw);
    // Media rebuilt from the inputs the current version was made from (--force) is that version: it stands, nothing is copied.
    const same = options.layout === 'versioned' ? await equivalentPublished(manifest, target) : undefined;
    const media: Manifest = same ? { ...manifest, fingerprint: same.fingerprint, files: same.files } : manifest;
    const version = same?.version ?? versionName(manifest);
    if (options.layout === 'mirror' && path.dirname(target) === target) {
      throw new UsageError(`A mirror target cannot be the root of a drive or share (${target})`, {
        fix: 'Use a folder below it, e.g. \\\\server\\share\\OS\\Win11: the mirror stages changes in a folder beside its target, and deletes files that are not media.',
      });
    }
    const started = Date.now();
    const controlDir = options.layout === 'versioned' ? target : mirrorStateDir(target);
    // A dry run plans without the lock; a publish plans under it (another publish may finish while we wait).
    const plan: TargetPlan = options.dryRun
      ? await planTarget(media, target, options.layout, options.keep, version)
      : emptyPlan(target, options.layout, version);
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
      // Checks that need no writing come first: a missing parent or a full disk fails before anything changes.
      const relPaths = media.files.map((f) => (options.layout === 'versioned' ? `${version}/${f.path}` : f.path));
      result.warnings = await preflight(target, relPaths, 0);
      for (const warning of result.warnings) reporter.emit({ type: 'warning', step: 'distribute', message: warning });
      await probeWritable(controlDir, target);
      const release = await acquireLock(path.join(controlDir, options.layout === 'versioned' ? TARGET_LOCK : 'lock'), {
        what: `the target ${target}`,
        command: options.command,
        reporter,
        waitMs: options.waitMs,
      });
      try {
        const fresh = await planTarget(media, target, options.layout, options.keep, version);
        Object.assign(result, fresh);
        await preflight(target, [], fresh.bytesToCopy);
        if (options.layout === 'versioned') await publishVersioned(workspace, media, fresh, options, reporter, result);
        else await publishMirror(workspace, media, fresh, options, reporter, result);
      } catch (error) {
        throw targetError(error, target, 'publishing');
      } finally {
        await release();
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
