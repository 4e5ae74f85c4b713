// Switching: how a staged publish becomes what readers see.
// versioned  the staged version folder is renamed into place, then current.json is rewritten
//            (atomically) to name it; old versions beyond --keep are renamed away and deleted.
// mirror     a first publish renames the whole staged tree into place; later ones swap each
//            changed file in with one rename, then delete what the media no longer has.
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../media/manifest.ts';
import type { Workspace } from '../media/workspace.ts';
import { MediaError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { faultPoint } from '../util/fault.ts';
import { exists, removeTree, writeFileAtomic } from '../util/fs.ts';
import { OSMEDIA_VERSION } from '../version.ts';
import { mirrorStateDir, intactFiles, type TargetPlan } from './plan.ts';
import type { PublishOptions, TargetResult } from './publish.ts';
import { CURRENT_POINTER, PUBLISHED_MANIFEST, publishedFrom, readCurrent, readPublished, type Current } from './published.ts';
import { stageFiles, withTargetMtimes, type LinkSource } from './staging.ts';
import { refuseLinkAt, refuseLinks, scanTarget, settleMtimes, type TargetTraits } from './target-fs.ts';

const STAGING = '.osmedia-staging';

const now = (options: PublishOptions) => (options.now ?? (() => new Date()))();

export async function publishVersioned(
  workspace: Workspace,
  manifest: Manifest,
  plan: TargetPlan,
  options: PublishOptions,
  traits: TargetTraits,
  reporter: Reporter,
  result: TargetResult,
): Promise<void> {
  const { target, version } = plan;
  const finalDir = plan.packageSource;
  const current = await readCurrent(target);
  await refuseLinkAt(finalDir, target);
  if (await exists(finalDir)) {
    // Content-addressed: this exact media was published before. Check it is still intact.
    const published = await readPublished(finalDir);
    const { intact } = await intactFiles(finalDir, published?.files ?? [], traits.mtimeGranularityMs);
    const damaged = published?.files.filter((f) => !intact.has(f.path)).map((f) => f.path) ?? [PUBLISHED_MANIFEST];
    if (!published || published.fingerprint !== manifest.fingerprint || damaged.length > 0) {
      throw new MediaError(
        `The published version ${finalDir} no longer matches its manifest (${damaged.slice(0, 3).join(', ')}${damaged.length > 3 ? ', …' : ''})`,
        {
          fix: `Run \`osmedia verify --target ${target} --version ${version}\` to see what changed; delete that folder${current?.version === version ? ' (it is current: point ConfigMgr elsewhere first)' : ''} and publish again.`,
        },
      );
    }
    result.filesSkipped = manifest.files.length;
    result.verified = { files: 0, ok: true }; // nothing copied: checked by size and mtime (run `osmedia verify` to hash)
  } else {
    const stagingRoot = path.join(target, STAGING);
    await refuseLinkAt(stagingRoot, target);
    const stage = path.join(stagingRoot, version);
    const log = path.join(stagingRoot, `${version}.done`);
    await mkdir(stage, { recursive: true });
    refuseLinks((await scanTarget(stage)).links, target);
    const previousDir = current ? path.join(target, current.version) : undefined;
    const previous = previousDir ? await readPublished(previousDir).catch(() => undefined) : undefined;
    // Unchanged files come from the previous version: linked, or where links fail a server-side
    // copy (Windows: CopyFileW on an SMB share copies on the server); else streamed from the workspace.
    const mode: LinkSource['mode'] | undefined = traits.links ? 'link' : traits.serverCopy ? 'server-copy' : undefined;
    if (previousDir && mode) await refuseLinkAt(previousDir, target);
    const linkFrom = previous && previousDir && mode ? { dir: previousDir, files: new Map(previous.files.map((f) => [f.path, f])), mode } : undefined;
    const counts = await stageFiles(workspace, manifest.files, stage, log, reporter, target, linkFrom, traits.mtimeGranularityMs);
    Object.assign(result, { filesCopied: counts.copied, filesLinked: counts.linked, filesSkipped: counts.reused, bytesCopied: counts.bytes });
    result.warnings.push(...counts.damaged.map((f) => `${f}: the current version's copy was damaged; copied afresh`));
    const published = { ...publishedFrom(manifest, version, OSMEDIA_VERSION, now(options)), files: withTargetMtimes(manifest.files, counts.mtimes) };
    await writeFileAtomic(path.join(stage, PUBLISHED_MANIFEST), `${JSON.stringify(published, null, 2)}\n`);
    await chmod(path.join(stage, PUBLISHED_MANIFEST), 0o444);
    faultPoint('publish-staged');
    await rename(stage, finalDir);
    faultPoint('publish-renamed');
    if (traits.mtimeGranularityMs > 2) {
      // A share: a close that reached the server late may have set a time since staging settled them.
      await settleMtimes(
        manifest.files.map((f) => ({ dest: path.join(finalDir, ...f.path.split('/')), mtimeMs: f.mtimeMs })),
        traits.mtimeGranularityMs,
      );
    }
    // Every file was hashed on its way in (copies) or after linking (links).
    result.verified = { files: manifest.files.length - counts.reused, ok: true };
  }
  // Whatever is left in staging belongs to this publish or to abandoned ones: not needed any more.
  await removeTree(path.join(target, STAGING));
  if (current?.version !== version) {
    const pointer: Current = {
      version,
      build: manifest.installWim.images[0]?.version ?? 'unknown',
      fingerprint: manifest.fingerprint,
      publishedAt: now(options).toISOString(),
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

export async function publishMirror(
  workspace: Workspace,
  manifest: Manifest,
  plan: TargetPlan,
  options: PublishOptions,
  traits: TargetTraits,
  reporter: Reporter,
  result: TargetResult,
): Promise<void> {
  const { target } = plan;
  const state = mirrorStateDir(target);
  await refuseLinkAt(state, target);
  const stage = path.join(state, 'staging');
  const log = path.join(state, 'staging.done');
  const changed = new Set([...plan.copy, ...plan.replace]);
  const firstPublish = !(await exists(target));
  const files = manifest.files.filter((f) => changed.has(f.path));
  const counts = await stageFiles(workspace, files, stage, log, reporter, target, undefined, traits.mtimeGranularityMs);
  Object.assign(result, { filesCopied: counts.copied, filesSkipped: plan.unchanged + counts.reused, bytesCopied: counts.bytes });
  // Built only when something changed: an unchanged mirror of 20,000 files should not parse its manifest twice.
  const published = async () => {
    const before = new Map((await readPublished(target).catch(() => undefined))?.files.map((f) => [f.path, f]));
    const record = { ...publishedFrom(manifest, plan.version, OSMEDIA_VERSION, now(options)), files: withTargetMtimes(manifest.files, counts.mtimes, before) };
    return `${JSON.stringify(record, null, 2)}\n`;
  };
  if (firstPublish) {
    // Nothing there yet: the whole tree appears at once.
    await writeFileAtomic(path.join(stage, PUBLISHED_MANIFEST), await published());
    await rename(stage, target);
  } else {
    const checked = new Set<string>();
    for (const file of files) {
      const dest = path.join(target, ...file.path.split('/'));
      // plan refused links in the target; a folder made a link since is refused here, before writing.
      for (let dir = path.dirname(dest); dir.length > target.length && !checked.has(dir); dir = path.dirname(dir)) {
        await refuseLinkAt(dir, target);
        checked.add(dir);
      }
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
      await writeFileAtomic(path.join(target, PUBLISHED_MANIFEST), await published());
    }
  }
  await chmod(path.join(target, PUBLISHED_MANIFEST), 0o444);
  // The side folder itself holds the lock: publish() removes it once the lock is released.
  await removeTree(stage);
  await rm(log, { force: true });
  result.verified = { files: files.length, ok: true };
  if (files.length === 0 && plan.delete.length === 0) result.action = 'unchanged';
}
