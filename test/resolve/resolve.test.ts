// `osmedia updates resolve` on a tree of month folders of real-shaped packages (sample-updates.ts:
// WIM and CAB MSUs with update.mum manifests, a Setup DU with PE-versioned setup binaries), run as
// the CLI; then plan and run from the lock it writes.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_EDITIONS } from '../../src/sample/sample-media.ts';
import { buildSampleUpdates, type SampleRole } from '../../src/sample/sample-updates.ts';
import { exists } from '../../src/util/fs.ts';
import { runCli, sampleMedia, tempDir } from '../helpers.ts';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const MEDIA = ['--architecture', 'x64', '--build', '10.0.26100.1'];

let base: string;
async function month(root: string, name: string, only: SampleRole[], duMonth?: string) {
  const dir = path.join(root, name);
  await cp(path.join(base, only.join('+') + (duMonth ?? '')), dir, { recursive: true }).catch(async () => {
    const built = await buildSampleUpdates({ dir: path.join(base, only.join('+') + (duMonth ?? '')), only, duMonth });
    await cp(built.dir, dir, { recursive: true });
  });
  return dir;
}

async function recipeIn(dir: string, media = 'media.iso', extra = ''): Promise<string> {
  const file = path.join(dir, 'osmedia.yml');
  await writeFile(file, `media:\n  source: ${media}\nupdates:\n  source: folder\n  root: updates\n  month: latest\n${extra}`);
  return file;
}

/** A share with September (the checkpoint), October (its LCU) and November (the month, with files resolve must not pin). */
async function shareTree(): Promise<string> {
  const dir = await tempDir();
  const root = path.join(dir, 'updates');
  await month(root, '2024-09', ['checkpoint']);
  await month(root, '2024-10', ['lastMonth']);
  await month(root, '2024-11', ['lcu', 'lastMonth', 'safeOs', 'setupDu', 'dotnet', 'express', 'wrongArch', 'notUpdate']);
  return dir;
}

beforeAll(async () => {
  base = await tempDir('osmedia-resolve-packages-');
}, 600_000);

describe('osmedia updates resolve (folder)', () => {
  it('pins one file per role, the checkpoint from its own month, never last month’s LCU; byte-identical on a second run', async () => {
    const dir = await shareTree();
    const recipe = await recipeIn(dir);
    const first = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA, '--json']);
    expect(first.stderr).not.toMatch(/error/);
    expect(first.exitCode).toBe(0);
    const lockPath = path.join(dir, 'osmedia.lock.json');
    const text = await readFile(lockPath, 'utf8');
    const lock = JSON.parse(text);
    expect(lock.month).toBe('2024-11');
    expect(lock.source).toEqual({ root: 'updates', type: 'folder' });
    expect(lock.media).toEqual({ architecture: 'x64', build: 26100 });
    expect(lock.files.map((f: any) => [f.role, f.kb, f.build])).toEqual([
      ['checkpoint', 'KB5043080', '26100.1742'],
      ['lcu', 'KB5046617', '26100.2314'],
      ['safeos-du', 'KB5046620', '26100.2305'],
      ['setup-du', 'KB5046619', '26100.2314'],
      ['dotnet', 'KB5045934', '26100'],
    ]);
    for (const f of lock.files) {
      const file = path.join(dir, f.path);
      expect(f.size).toBe((await stat(file)).size);
      expect(f.sha256).toBe(await sha256(file));
      expect(Object.keys(f)).toEqual([...Object.keys(f)].sort());
    }
    expect(lock.files[0].source).toBe('folder updates/2024-09');
    expect(lock.files[1].path).toBe('updates/2024-11/windows11.0-kb5046617-x64_2314.msu');
    const notPinned = first.json().notPinned.map((r: any) => r.fileName);
    expect(notPinned).toEqual(
      expect.arrayContaining([
        'windows11.0-kb5044284-x64_2033.msu',
        'windows11.0-kb5046617-x64-express.cab',
        'windows11.0-kb5046617-arm64_arm.cab',
        'contoso-storage-driver.cab',
      ]),
    );
    expect(first.json().notPinned.find((r: any) => r.fileName.includes('kb5044284')).reason).toMatch(/older month's cumulative update: never pinned/);

    const again = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/unchanged/);
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    const check = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA, '--check']);
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toMatch(/up to date/);

    // December arrives on the share: --check goes red and names the change; it writes nothing.
    await month(path.join(dir, 'updates'), '2024-12', ['lcu', 'safeOs'], '2024-12');
    await rm(path.join(dir, 'updates', '2024-12', 'windows11.0-kb5046617-x64_2314.msu'));
    const december = await buildSampleUpdates({ dir: path.join(base, 'dec-lcu'), only: ['lcu'], lcuRevision: 2605 });
    await cp(december.files.lcu, path.join(dir, 'updates', '2024-12', 'windows11.0-kb5048667-x64_2605.msu'));
    const stale = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA, '--check']);
    expect(stale.exitCode).toBe(1);
    expect(stale.stdout).toMatch(/out of date/);
    expect(await readFile(lockPath, 'utf8')).toBe(text);
  }, 600_000);

  it('two candidates for one role is an error listing both, and writes no lock', async () => {
    const dir = await tempDir();
    await month(path.join(dir, 'updates'), '2024-11', ['lcu', 'checkpoint', 'safeOs', 'safeOsLegacy']);
    const recipe = await recipeIn(dir);
    const result = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/Two candidates for the safeos-du of 2024-11/);
    expect(result.stderr).toMatch(/windows11\.0-kb5046620-x64_safeos\.cab/);
    expect(result.stderr).toMatch(/KB5046621/);
    expect(await exists(path.join(dir, 'osmedia.lock.json'))).toBe(false);
  }, 600_000);

  it('no LCU for the month is an error saying what was searched; an older month’s LCU alone is never pinned', async () => {
    const dir = await tempDir();
    await month(path.join(dir, 'updates'), '2024-12', ['safeOs']);
    await month(path.join(dir, 'updates'), '2025-01', ['lastMonth', 'safeOs']);
    const recipe = await recipeIn(dir);
    const none = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA, '--month', '2024-12']);
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toMatch(/No cumulative update \(LCU\) for 2024-12 for build 26100 x64 in .*updates[\\/]2024-12/);
    expect(none.stderr).toMatch(/windows11\.0-kb5046620-x64_safeos\.cab \(safe-os\)/);
    const old = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA]);
    expect(old.exitCode).not.toBe(0);
    expect(old.stderr).toMatch(/for 2025-01 .*It holds only .*KB5044284.*built 2024-10.*never pinned/);
    const missingMonth = await runCli(['updates', 'resolve', '--recipe', recipe, ...MEDIA, '--month', '2024-06']);
    expect(missingMonth.exitCode).toBe(2);
    expect(missingMonth.stderr).toMatch(/has no folder for 2024-06 \(it has 2024-12, 2025-01\)/);
  }, 600_000);

  it('a checkpoint the LCU needs and no month folder holds is an error naming it and the folders searched', async () => {
    const dir = await tempDir();
    await month(path.join(dir, 'updates'), '2024-11', ['lcu']);
    const result = await runCli(['updates', 'resolve', '--recipe', await recipeIn(dir), ...MEDIA]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/needs the checkpoint KB5043080, which is in none of .*2024-11/);
  }, 600_000);
});

describe('plan and run from the lock', () => {
  it('reads the media line from the recipe’s ISO, and refuses a locked file that changed or went missing before touching the workspace', async () => {
    const sample = await sampleMedia({ editions: SAMPLE_EDITIONS.slice(0, 1) });
    const dir = await shareTree();
    const recipe = await recipeIn(dir, sample.isoPath, `workspace: ws\n`);
    const resolved = await runCli(['updates', 'resolve', '--recipe', recipe, '--json']);
    expect(resolved.exitCode).toBe(0);
    // The sample media is 26100.1742: it has the checkpoint already, so only this month's files are pinned
    // (and September's folder, which holds it, is not even read).
    const lock = JSON.parse(await readFile(path.join(dir, 'osmedia.lock.json'), 'utf8'));
    expect(lock.files.map((f: any) => f.role)).toEqual(['lcu', 'safeos-du', 'setup-du', 'dotnet']);

    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.stderr).not.toMatch(/do not match/);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toMatch(/apply the updates in 4 file\(s\)/);
    // run services the locked files only: last month's LCU, in the same folder, is not even looked at.
    const run = await runCli(['run', '--recipe', recipe]);
    const said = run.stdout + run.stderr;
    expect(said).toMatch(/KB5046617/);
    expect(said).not.toMatch(/KB5044284/);
    await rm(path.join(dir, 'ws'), { recursive: true, force: true });

    const setupDu = path.join(dir, lock.files[2]!.path);
    const bytes = await readFile(setupDu);
    bytes[bytes.length - 1]! ^= 0xff; // same size, other content
    await writeFile(setupDu, bytes);
    const changed = await runCli(['run', '--recipe', recipe]);
    expect(changed.exitCode).not.toBe(0);
    expect(changed.stderr).toMatch(/pinned by .*osmedia\.lock\.json do not match/);
    expect(changed.stderr).toContain(`${lock.files[2].path} (KB5046619) has SHA-256`);
    expect(await exists(path.join(dir, 'ws'))).toBe(false);

    await rm(path.join(dir, lock.files[0].path));
    // matrix (and diff) read the lock without checking the files: a pull-request runner may not reach the share.
    expect((await runCli(['matrix', recipe])).exitCode).toBe(0);
    const missing = await runCli(['plan', '--recipe', recipe]);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain(`${lock.files[0].path} (KB5046617, lcu) is missing`);
    expect(missing.stderr).toContain(`${lock.files[2].path} (KB5046619) has SHA-256`);
  }, 600_000);

  it('a recipe with a source and no lock is told to resolve first', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'updates'));
    const result = await runCli(['plan', '--recipe', await recipeIn(dir)]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no lock file .*osmedia\.lock\.json/);
    expect(result.stderr).toMatch(/osmedia updates resolve --recipe osmedia\.yml/);
  });
});
