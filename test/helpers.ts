// Test helpers: temporary folders, sample media built with the real tools, a CLI runner, and
// snapshots that prove a source was not touched.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { createContext } from '../src/context.ts';
import { buildSampleMedia, type SampleMedia, type SampleOptions } from '../src/sample/sample-media.ts';
import type { StepContext } from '../src/steps/types.ts';
import { CollectingReporter } from '../src/util/events.ts';
import { listTree } from '../src/util/fs.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..');
const created: string[] = [];

/** A fresh temporary folder, removed after the test file. */
export async function tempDir(prefix = 'osmedia-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const samples = new Map<string, Promise<SampleMedia>>();

/** Sample media built once per test file and option set; tests must not modify it. */
export function sampleMedia(options: Omit<SampleOptions, 'dir'> = {}): Promise<SampleMedia> {
  const key = JSON.stringify(options);
  if (!samples.has(key))
    samples.set(
      key,
      tempDir('osmedia-sample-').then((dir) => buildSampleMedia({ ...options, dir })),
    );
  return samples.get(key)!;
}

/** A writable copy of a sample's media folder. */
export async function copyOfMedia(sample: SampleMedia): Promise<string> {
  const dir = path.join(await tempDir(), 'media');
  await cp(sample.mediaDir, dir, { recursive: true, preserveTimestamps: true });
  return dir;
}

export function testContext(workspace: string, options: { force?: boolean } = {}): StepContext & { reporter: CollectingReporter } {
  const reporter = new CollectingReporter();
  return { ...createContext({ workspace, reporter, force: options.force, now: () => new Date('2026-11-10T18:00:00Z') }), reporter };
}

/** Every file's path, size, mtime and SHA-256 below root (or of one file): equal snapshots mean untouched. */
export async function snapshot(target: string): Promise<string> {
  const info = await stat(target);
  if (info.isFile()) {
    return `${info.size} ${info.mtimeMs} ${info.mode} ${createHash('sha256')
      .update(await readFile(target))
      .digest('hex')}`;
  }
  const files = await listTree(target);
  const lines = await Promise.all(
    files.map(
      async (f) =>
        `${f.path} ${f.size} ${f.mtimeMs} ${createHash('sha256')
          .update(await readFile(path.join(target, f.path)))
          .digest('hex')}`,
    ),
  );
  return lines.join('\n');
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, any>;
}

/** Node 24 from the project's own `node` dependency (the TypeScript sources need its type stripping). */
export const node24 = existsSync(path.join(repoRoot, 'node_modules', '.bin', 'node')) ? path.join(repoRoot, 'node_modules', '.bin', 'node') : process.execPath;

/** Runs the CLI from source as a separate process, the way a user or Jenkins would. */
export async function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  const result = await execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], {
    reject: false,
    cwd: options.cwd ?? repoRoot,
    env: { CI: 'true', ...options.env },
    stdin: 'ignore',
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    json: () => JSON.parse(stdout) as Record<string, any>,
  };
}

export async function readJson(file: string): Promise<any> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/**
 * Makes a folder refuse writes, and returns how to undo it; undefined where that is impossible
 * here. Root ignores mode bits, so as root the folder is made immutable (chattr +i) instead.
 */
export async function makeUnwritable(dir: string): Promise<(() => Promise<void>) | undefined> {
  const { chmod } = await import('node:fs/promises');
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o555);
    return async () => chmod(dir, 0o755);
  }
  const set = await execa('chattr', ['+i', dir], { reject: false });
  if (set.exitCode !== 0) return undefined;
  return async () => {
    await execa('chattr', ['-i', dir]);
  };
}
