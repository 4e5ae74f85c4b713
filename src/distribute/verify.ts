// `osmedia verify`: proves a published copy is the media its manifest lists, by hashing every file.
// Suitable as a scheduled health check of package source shares.
import path from 'node:path';
import { MediaError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { exists, hashFile, listTree, mapLimit } from '../util/fs.ts';
import { PUBLISHED_MANIFEST, readCurrent, readPublished } from './published.ts';

export interface VerifyResult {
  target: string;
  layout: 'versioned' | 'mirror';
  version: string;
  dir: string;
  files: number;
  bytes: number;
  missing: string[];
  changed: string[];
  extra: string[];
  ok: boolean;
  durationMs: number;
}

export async function verifyTarget(rawTarget: string, requestedVersion: string | undefined, reporter: Reporter): Promise<VerifyResult> {
  const target = path.resolve(rawTarget);
  const started = Date.now();
  const current = await readCurrent(target);
  let dir: string;
  let layout: VerifyResult['layout'];
  if (current || requestedVersion) {
    layout = 'versioned';
    const version = requestedVersion ?? current!.version;
    dir = path.join(target, version);
    if (!(await exists(dir)))
      throw new MediaError(`${target} has no published version ${version}`, {
        fix: `List the versions in ${target}, or leave out --version to check the current one.`,
      });
  } else if (await exists(path.join(target, PUBLISHED_MANIFEST))) {
    layout = 'mirror';
    dir = target;
  } else {
    throw new MediaError(`${target} holds no media published by osmedia (no ${PUBLISHED_MANIFEST} or current.json)`, {
      fix: 'Pass the --target folder that `osmedia distribute` published to.',
    });
  }
  const published = await readPublished(dir);
  if (!published)
    throw new MediaError(`${dir} has no ${PUBLISHED_MANIFEST}`, { fix: 'The version folder is incomplete or was changed by hand: publish again.' });

  const onDisk = new Map((await listTree(dir)).map((f) => [f.path, f]));
  onDisk.delete(PUBLISHED_MANIFEST);
  const missing: string[] = [];
  const present = published.files.filter((f) => (onDisk.has(f.path) ? true : (missing.push(f.path), false)));
  const total = present.reduce((s, f) => s + f.size, 0);
  let done = 0;
  const changed = (
    await mapLimit(present, 2, async (file) => {
      const sha = await hashFile(path.join(dir, ...file.path.split('/')), (bytes) => {
        done += bytes;
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        reporter.emit({
          type: 'progress',
          step: 'verify',
          phase: `hashing ${path.basename(dir)}`,
          detail: `${(done / 1048576 / seconds).toFixed(0)} MiB/s`,
          done,
          total,
          unit: 'bytes',
        });
      });
      return sha === file.sha256 && onDisk.get(file.path)!.size === file.size ? undefined : file.path;
    })
  ).filter((p): p is string => p !== undefined);
  const listed = new Set(published.files.map((f) => f.path));
  const extra = [...onDisk.keys()].filter((p) => !listed.has(p)).sort();
  const ok = missing.length === 0 && changed.length === 0 && extra.length === 0;
  return {
    target,
    layout,
    version: published.version,
    dir,
    files: published.files.length,
    bytes: total,
    missing,
    changed,
    extra,
    ok,
    durationMs: Date.now() - started,
  };
}

/** Every published version of a versioned target (the scheduled health check of a whole share). */
export async function verifyAllVersions(rawTarget: string, reporter: Reporter): Promise<VerifyResult[]> {
  const target = path.resolve(rawTarget);
  const { readdir } = await import('node:fs/promises');
  const { VERSION_PATTERN } = await import('./published.ts');
  const versions = (await readdir(target).catch(() => [] as string[])).filter((n) => VERSION_PATTERN.test(n)).sort();
  if (versions.length === 0)
    throw new MediaError(`${target} holds no published versions`, {
      fix: '--all is for the versioned layout: pass the --target that `osmedia distribute` published versions to.',
    });
  const results: VerifyResult[] = [];
  for (const version of versions) results.push(await verifyTarget(target, version, reporter));
  return results;
}

export function renderVerify(result: VerifyResult): string {
  const lines = [
    `${result.dir} (${result.layout}, version ${result.version}): ${result.ok ? 'OK' : 'MISMATCH'} — ${result.files} files checked in ${(result.durationMs / 1000).toFixed(1)}s`,
  ];
  for (const [label, list] of [
    ['missing', result.missing],
    ['changed', result.changed],
    ['extra', result.extra],
  ] as const) {
    for (const p of list) lines.push(`  ${label.padEnd(8)} ${p}`);
  }
  return lines.join('\n');
}
