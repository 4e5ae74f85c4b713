// plan and run from the lock: when osmedia.lock.json is beside the recipe, apply-updates services
// exactly the files it pins, and every one of them is checked (present, same size, same SHA-256)
// when the recipe is loaded, before any step changes the workspace. Called at one place: loadRecipe
// (diff and matrix load it with verifyLock: false).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Recipe } from '../recipe/schema.ts';
import { hashUpdate } from '../updates/inputs.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { lockPathOf, readLock, type Lock } from './lock.ts';
import { RESOLVE_KEYS } from './recipe-updates.ts';

/** Checks every locked file; all problems are named in one error. Returns the files as apply-updates takes them. */
export async function verifyLockedFiles(lock: Lock, recipeDir: string, lockPath: string): Promise<{ path: string; sha256: string }[]> {
  const problems: string[] = [];
  const files: { path: string; sha256: string }[] = [];
  for (const locked of lock.files) {
    const file = path.resolve(recipeDir, locked.path);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      problems.push(`${locked.path} (${locked.kb || locked.fileName}, ${locked.role}) is missing`);
      continue;
    }
    if (info.size !== locked.size) {
      problems.push(`${locked.path} (${locked.kb || locked.fileName}) is ${info.size} bytes; the lock pins ${locked.size}`);
      continue;
    }
    const sha256 = await hashUpdate({ file, size: info.size, mtimeMs: info.mtimeMs });
    if (sha256 !== locked.sha256) problems.push(`${locked.path} (${locked.kb || locked.fileName}) has SHA-256 ${sha256}; the lock pins ${locked.sha256}`);
    else files.push({ path: file, sha256 });
  }
  if (problems.length > 0) {
    throw new MediaError(`${problems.length} file(s) pinned by ${lockPath} do not match:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      fix: 'Restore the files the lock pins (copy them again from the share), or run `osmedia updates resolve` and review the new lock in a pull request. Nothing was changed.',
    });
  }
  return files;
}

/**
 * The recipe as plan and run use it: with a lock beside it, updates are the locked files (pinned);
 * without one, a recipe that names only a source is told to resolve first. The resolve keys are removed.
 */
export async function applyLock(recipe: Recipe, recipeFile: string, options: { verify?: boolean } = {}): Promise<Recipe> {
  if (!recipe.updates) return recipe;
  const lockPath = lockPathOf(recipeFile);
  const lock = await readLock(lockPath);
  const updates: Record<string, unknown> = Object.fromEntries(Object.entries(recipe.updates).filter(([k]) => !(RESOLVE_KEYS as readonly string[]).includes(k)));
  if (lock) {
    // diff and matrix read the lock without checking the files (a pull-request runner may not reach the share).
    const files =
      options.verify === false
        ? lock.files.map((f) => ({ path: path.resolve(path.dirname(recipeFile), f.path), sha256: f.sha256 }))
        : await verifyLockedFiles(lock, path.dirname(recipeFile), lockPath);
    return { ...recipe, updates: { ...updates, from: undefined, files } as Recipe['updates'] };
  }
  if (recipe.updates.from === undefined && (recipe.updates.files?.length ?? 0) === 0) {
    throw new UsageError(`${recipeFile} takes its updates from a ${recipe.updates.source} source, and there is no lock file ${lockPath}`, {
      fix: `Run \`osmedia updates resolve --recipe ${path.basename(recipeFile)}\` and commit the lock file it writes.`,
    });
  }
  return { ...recipe, updates: updates as Recipe['updates'] };
}
