// `osmedia updates resolve`: finds the month's update files for a recipe's media line, picks exactly
// one per role (select.ts) and pins them in the lock file beside the recipe (lock.ts). Changes
// nothing but the lock; `--check` changes nothing at all and says whether the lock is current.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SevenZip } from '../imaging/sevenzip.ts';
import { parseRecipe } from '../recipe/load.ts';
import type { Reporter } from '../util/events.ts';
import { UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { listMonths, pickMonth, readMonth } from './folder.ts';
import { lockPathOf, readLock, renderLock, type Lock, type LockedFile } from './lock.ts';
import { UPDATE_SOURCES } from './recipe-updates.ts';
import { buildUbr, selectMonth, type FoundPackage, type Selected } from './select.ts';

export interface ResolveOptions {
  recipe: string;
  source?: string;
  root?: string;
  month?: string;
  check?: boolean;
  /** The media line, when the recipe's media should not be inspected: x64, arm64. */
  architecture?: string;
  /** The media's version (26100 or 10.0.26100.1742), with architecture. */
  build?: string;
  reporter: Reporter;
}

export interface MediaLine {
  architecture: string;
  build: number;
  revision?: number;
}

export interface ResolveResult {
  lockPath: string;
  lock: Lock;
  /** Whether the lock file on disk differs from the one resolved (before writing it). */
  changed: boolean;
  written: boolean;
  notPinned: { fileName: string; reason: string }[];
  /** KBs added and removed against the previous lock. */
  added: string[];
  removed: string[];
}

function parseVersion(version: string): { build: number; revision?: number } {
  const parts = version.split('.').map(Number);
  if (parts.length >= 3 && parts[0] === 10) return { build: parts[2]!, revision: parts[3] };
  return { build: parts[0]!, revision: parts[1] };
}

/** The media line's architecture and build: from the flags, else from the recipe's media (inspected, read-only). */
async function mediaLine(options: ResolveOptions, mediaSource: string): Promise<MediaLine> {
  if (options.architecture || options.build) {
    if (!options.architecture || !options.build || !/^(10\.0\.)?\d{4,5}(\.\d+)?$/.test(options.build)) {
      throw new UsageError('--architecture and --build go together: for example --architecture x64 --build 10.0.26100.1742', {
        fix: "Pass both, or neither to read them from the recipe's media.",
      });
    }
    return { architecture: options.architecture, ...parseVersion(options.build) };
  }
  const { inspectPath } = await import('../media/inspect.ts');
  const { chooseEngine } = await import('../context.ts');
  const inspection = await inspectPath(mediaSource, { engine: chooseEngine(undefined), sevenZip: new SevenZip() });
  const image = inspection.install?.images[0];
  if (!image?.version || !image.architecture) {
    throw new UsageError(`${mediaSource}: its install image does not say its version and architecture`, {
      fix: 'Pass --architecture and --build (e.g. --architecture x64 --build 10.0.26100.1742).',
    });
  }
  return { architecture: image.architecture, ...parseVersion(image.version) };
}

function lockedFile(recipeDir: string, root: string, item: Selected): LockedFile {
  const pkg: FoundPackage = item.pkg;
  return {
    kb: pkg.kb,
    role: item.role,
    build: buildUbr(pkg),
    fileName: pkg.fileName,
    path: path.relative(recipeDir, pkg.file).split(path.sep).join('/'),
    size: pkg.size,
    sha256: pkg.sha256,
    source: `folder ${path.relative(recipeDir, path.join(root, pkg.folder)).split(path.sep).join('/') || '.'}`,
  };
}

const key = (f: LockedFile) => `${f.role} ${f.kb || f.fileName} ${f.sha256.slice(0, 12)}`;

export async function resolveUpdates(options: ResolveOptions): Promise<ResolveResult> {
  const recipeFile = path.resolve(options.recipe);
  const text = await readFile(recipeFile, 'utf8').catch((caught: unknown) => {
    const error = caught as NodeJS.ErrnoException;
    throw new UsageError(`Cannot read the recipe ${recipeFile} (${error.code})`, { fix: 'Pass the path of an existing recipe file with --recipe.' });
  });
  const recipe = parseRecipe(text, recipeFile);
  const dir = path.dirname(recipeFile);
  const updates = recipe.updates;
  const type = options.source ?? updates?.source ?? 'folder';
  if (!(UPDATE_SOURCES as readonly string[]).includes(type)) {
    throw new UsageError(`--source must be one of ${UPDATE_SOURCES.join(', ')}, not "${type}"`, { fix: 'For example --source folder.' });
  }
  if (type !== 'folder') {
    throw new UsageError(`updates source "${type}" is not built yet: only "folder" resolves today`, {
      fix: 'Use updates.source: folder with a tree of month folders (updates/2024-11/, …); docs/updates.md, "The monthly flow".',
    });
  }
  const rootRel = options.root ?? updates?.root ?? 'updates';
  const root = path.resolve(dir, rootRel);
  const month = pickMonth(await listMonths(root), options.month ?? updates?.month ?? 'latest', root);
  const media = await mediaLine(options, path.resolve(dir, recipe.media.source));
  const target = { architecture: media.architecture, build: media.build, allowEnablement: updates?.enablement };
  const checkpoints = updates?.checkpoints ?? [];
  options.reporter.emit({ type: 'info', message: `resolving ${month} for build ${media.build} ${media.architecture} from ${root}` });

  const work = await mkdtemp(path.join(tmpdir(), 'osmedia-resolve-'));
  try {
    const contents = await readMonth(new SevenZip(), root, month, target, work);
    const searched = path.join(root, month);
    const selection = selectMonth(month, contents.packages, { ...target, revision: media.revision }, checkpoints, searched);
    const notPinned = [...contents.rejections, ...selection.notPinned].map((r) => ({ fileName: r.fileName, reason: r.reason }));
    const selected = [...selection.selected];
    // Checkpoints released in an earlier month are looked for in the earlier month folders, newest first.
    const earlier = (await listMonths(root)).filter((m) => m < month).reverse();
    const read = new Map<string, ReturnType<typeof readMonth>>(); // each older month is read (and hashed) once
    for (const kb of selection.missingCheckpoints) {
      let found: FoundPackage | undefined;
      for (const older of earlier) {
        if (!read.has(older)) read.set(older, readMonth(new SevenZip(), root, older, target, path.join(work, older)));
        const there = await read.get(older)!;
        found = there.packages.find((p) => p.kind === 'lcu' && p.kb.toUpperCase() === kb.toUpperCase());
        if (found) break;
      }
      if (!found) {
        throw new UsageError(
          `The ${month} cumulative update needs the checkpoint ${kb}, which is in none of ${[month, ...earlier].map((m) => path.join(root, m)).join(', ')}`,
          {
            fix: `Download ${kb} (the checkpoint cumulative update its KB article names) from the Microsoft Update Catalog into ${searched} or the month folder it was released in.`,
          },
        );
      }
      selected.push({ role: 'checkpoint', pkg: found });
    }
    const lock: Lock = {
      lockVersion: 1,
      month,
      source: { type: 'folder', root: path.relative(dir, root).split(path.sep).join('/') || '.' },
      media: { architecture: media.architecture, build: media.build },
      files: selected.map((s) => lockedFile(dir, root, s)),
    };
    const lockPath = lockPathOf(recipeFile);
    const rendered = renderLock(lock);
    const current = await readFile(lockPath, 'utf8').catch(() => undefined);
    const previous = current === undefined ? undefined : await readLock(lockPath).catch(() => undefined);
    const before = new Set((previous?.files ?? []).map(key));
    const after = new Set(lock.files.map(key));
    const changed = current !== rendered;
    if (changed && !options.check) await writeFileAtomic(lockPath, rendered);
    return {
      lockPath,
      lock: JSON.parse(rendered) as Lock,
      changed,
      written: changed && !options.check,
      notPinned,
      added: [...after].filter((k) => !before.has(k)),
      removed: [...before].filter((k) => !after.has(k)),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The month's table for people and job summaries: KB, role, build, size, source. */
export function renderResolve(result: ResolveResult, check: boolean): string {
  const rows = result.lock.files.map(
    (f) => `  ${(f.kb || '-').padEnd(10)} ${f.role.padEnd(10)} ${(f.build ?? '-').padEnd(11)} ${String(f.size).padStart(12)}  ${f.fileName}  (${f.source})`,
  );
  const status = check
    ? result.changed
      ? `${result.lockPath} is out of date: run \`osmedia updates resolve\` and commit it`
      : `${result.lockPath} is up to date`
    : result.written
      ? `wrote ${result.lockPath}`
      : `${result.lockPath} unchanged`;
  const diff = [...result.added.map((k) => `  + ${k}`), ...result.removed.map((k) => `  - ${k}`)];
  const skipped = result.notPinned.map((r) => `  ${r.fileName}: ${r.reason}`);
  return [
    `${result.lock.month} for build ${result.lock.media.build} ${result.lock.media.architecture}: ${result.lock.files.length} file(s)`,
    '  KB         role       build              size  file  (source)',
    ...rows,
    ...(diff.length ? ['changes against the current lock:', ...diff] : []),
    ...(skipped.length ? ['not pinned:', ...skipped] : []),
    status,
  ].join('\n');
}
