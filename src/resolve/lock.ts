// The lock file (osmedia.lock.json beside osmedia.yml): the month's update files for one media line,
// pinned by size and SHA-256, written by `osmedia updates resolve` and read by plan and run.
// Deterministic: keys sorted at every level, files in a fixed order, no timestamps, so a second
// resolve with nothing new leaves it byte-identical and a pull request shows only what changed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../util/errors.ts';

export const LOCK_ROLES = ['ssu', 'checkpoint', 'lcu', 'safeos-du', 'setup-du', 'dotnet', 'other'] as const;
export type LockRole = (typeof LOCK_ROLES)[number];

export const LockFileSchema = z.strictObject({
  kb: z.string(),
  role: z.enum(LOCK_ROLES),
  /** build.UBR the package brings the image to (26100.2314), where it has one. */
  build: z.string().optional(),
  fileName: z.string().min(1),
  /** Where plan and run read it: relative to the recipe's folder, '/'-separated. */
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-1 where the source gives one (the ConfigMgr site, the catalog). */
  sha1: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  /** Where it came from: "folder updates/2024-11", a site's package share, a catalog URL. */
  source: z.string().min(1),
});
export type LockedFile = z.infer<typeof LockFileSchema>;

export const LockSchema = z.strictObject({
  lockVersion: z.literal(1),
  /** The Patch Tuesday month resolved (YYYY-MM). */
  month: z.string().regex(/^\d{4}-\d{2}$/),
  source: z.strictObject({ type: z.enum(['folder', 'configmgr', 'catalog']), root: z.string().optional() }),
  /** The media line the files were chosen for. */
  media: z.strictObject({ architecture: z.string(), build: z.number().int() }),
  files: z.array(LockFileSchema),
});
export type Lock = z.infer<typeof LockSchema>;

/** osmedia.yml → osmedia.lock.json, x64-24h2.yaml → x64-24h2.lock.json, in the recipe's folder. */
export function lockPathOf(recipeFile: string): string {
  return path.join(path.dirname(recipeFile), `${path.basename(recipeFile).replace(/\.ya?ml$/i, '')}.lock.json`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** Files in servicing order of roles (SSU, checkpoints, LCU, DUs, .NET, other), then by build, KB and name. */
export function sortLockFiles(files: readonly LockedFile[]): LockedFile[] {
  const rank = (f: LockedFile) => LOCK_ROLES.indexOf(f.role);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const buildKey = (f: LockedFile) => (f.build ?? '').replace(/\d+/g, (d) => d.padStart(8, '0'));
  return [...files].sort((a, b) => rank(a) - rank(b) || cmp(buildKey(a), buildKey(b)) || cmp(a.kb, b.kb) || cmp(a.fileName, b.fileName));
}

export function renderLock(lock: Lock): string {
  return `${JSON.stringify(sortKeys({ ...lock, files: sortLockFiles(lock.files) }), null, 2)}\n`;
}

/** Reads and checks a lock file; undefined when there is none. */
export async function readLock(file: string): Promise<Lock | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read the lock file ${file} (${(error as NodeJS.ErrnoException).code})`, { fix: 'Check its permissions.' });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The lock file ${file} is not valid JSON: ${(error as Error).message}`, {
      fix: 'Write it again with `osmedia updates resolve --recipe <recipe>` (do not edit it by hand), or restore it from git.',
    });
  }
  const parsed = LockSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
    throw new UsageError(`The lock file ${file} is not a valid osmedia lock:\n${lines.join('\n')}`, {
      fix: 'Write it again with `osmedia updates resolve --recipe <recipe>`, or restore it from git.',
    });
  }
  return parsed.data;
}
