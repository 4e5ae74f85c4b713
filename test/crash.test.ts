// A run killed at any moment (SIGKILL included) and then re-run with the same command must end
// exactly where an uninterrupted run ends, with nothing left behind.
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { hashFile, listTree } from '../src/util/fs.ts';
import { exists } from '../src/util/fs.ts';
import { node24, readJson, repoRoot, runCli, sampleMedia, tempDir } from './helpers.ts';

const env = { SOURCE_DATE_EPOCH: '1767225600' };

/** What "the same result" means: WIM bytes differ run to run (GUIDs, times), their images may not. */
async function resultOf(workspace: string) {
  const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
  const media = path.join(workspace, 'media');
  const actual = await listTree(media);
  // The manifest must describe the media exactly.
  expect(actual.map((f) => [f.path, f.size])).toEqual(manifest.files.map((f: any) => [f.path, f.size]));
  for (const file of manifest.files) expect(await hashFile(path.join(media, file.path)), file.path).toBe(file.sha256);
  // Nothing of the interrupted run is left behind.
  const state = path.join(workspace, '.osmedia');
  expect(await exists(path.join(state, 'journal.json'))).toBe(false);
  expect(await exists(path.join(state, 'lock'))).toBe(false);
  for (const dir of ['tmp', 'staging']) expect(await readdir(path.join(state, dir)).catch(() => [])).toEqual([]);
  return {
    source: manifest.source.sha256,
    images: manifest.installWim.images,
    boot: manifest.bootWim,
    files: manifest.files.map((f: any) => [f.path, f.path.endsWith('.wim') ? 'wim' : f.sha256]),
    steps: manifest.history.filter((h: any) => h.result === 'succeeded').map((h: any) => h.step),
  };
}

function killedRun(args: string[], faultPoint: string) {
  return execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], {
    reject: false,
    env: { ...env, CI: 'true', OSMEDIA_FAULT_POINT: faultPoint },
    stdin: 'ignore',
  });
}

describe('a killed run, re-run with the same command, converges', () => {
  it('at every commit point of import, strip and stamp', async () => {
    const sample = await sampleMedia();
    const commands = (workspace: string) => [
      ['import-media', '--source', sample.isoPath!, '--workspace', workspace],
      ['strip-indexes', '--workspace', workspace, '--keep', 'Enterprise,Education'],
      ['stamp-build-file', '--workspace', workspace, '--revision', 'r1'],
    ];
    const reference = path.join(await tempDir(), 'ws');
    for (const args of commands(reference)) expect((await runCli(args, { env })).exitCode).toBe(0);
    const expected = await resultOf(reference);

    const points: Record<number, string[]> = {
      0: ['import-extracted', 'import-verified', 'journal-written', 'renamed', 'manifest-written'],
      1: ['strip-exported', 'journal-written', 'renamed', 'manifest-written'],
      2: ['journal-written', 'renamed', 'manifest-written'],
    };
    let kills = 0;
    for (const [stepIndex, faults] of Object.entries(points)) {
      for (const fault of faults) {
        const workspace = path.join(await tempDir(), 'ws');
        const list = commands(workspace);
        for (const args of list.slice(0, Number(stepIndex))) expect((await runCli(args, { env })).exitCode).toBe(0);
        const killed = await killedRun(list[Number(stepIndex)]!, fault);
        expect(killed.signal, `${list[Number(stepIndex)]![0]} at ${fault}`).toBe('SIGKILL');
        kills++;
        for (const args of list.slice(Number(stepIndex))) {
          const rerun = await runCli(args, { env });
          expect(rerun.exitCode, `${args[0]} after a kill at ${fault}: ${rerun.stderr}`).toBe(0);
        }
        expect(await resultOf(workspace), `after a kill at ${fault}`).toEqual(expected);
      }
    }
    expect(kills).toBe(12);
  });

  it('at every commit point of apply-updates (the Setup DU part, which runs here)', async () => {
    const sample = await sampleMedia();
    const updates = await buildSampleUpdates({ dir: path.join(await tempDir(), 'updates'), only: ['setupDu'] });
    const prepare = async (workspace: string) => {
      expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', workspace], { env })).exitCode).toBe(0);
      expect((await runCli(['strip-indexes', '--workspace', workspace, '--keep', 'Enterprise'], { env })).exitCode).toBe(0);
    };
    const apply = (workspace: string) => ['apply-updates', '--workspace', workspace, '--updates', updates.dir];
    const reference = path.join(await tempDir(), 'ws');
    await prepare(reference);
    expect((await runCli(apply(reference), { env })).exitCode).toBe(0);
    const expected = await resultOf(reference);
    for (const fault of ['updates-staged', 'journal-written', 'renamed', 'manifest-written']) {
      const workspace = path.join(await tempDir(), 'ws');
      await prepare(workspace);
      const killed = await killedRun(apply(workspace), fault);
      expect(killed.signal, fault).toBe('SIGKILL');
      const rerun = await runCli(apply(workspace), { env });
      expect(rerun.exitCode, `after a kill at ${fault}: ${rerun.stderr}`).toBe(0);
      expect(await resultOf(workspace), `after a kill at ${fault}`).toEqual(expected);
      expect(await readdir(path.join(workspace, '.osmedia', 'scratch')).catch(() => []), fault).toEqual([]);
    }
  });

  it('at moments spread over a longer import and strip (SIGKILL from outside)', async () => {
    const sample = await sampleMedia({ payloadBytes: 24 * 1024 * 1024 });
    const reference = path.join(await tempDir(), 'ws');
    const importArgs = (ws: string) => ['import-media', '--source', sample.isoPath!, '--workspace', ws];
    const stripArgs = (ws: string) => ['strip-indexes', '--workspace', ws, '--keep', 'Professional'];
    const started = Date.now();
    expect((await runCli(importArgs(reference), { env })).exitCode).toBe(0);
    const importMs = Date.now() - started;
    const stripStart = Date.now();
    expect((await runCli(stripArgs(reference), { env })).exitCode).toBe(0);
    const stripMs = Date.now() - stripStart;
    const expected = await resultOf(reference);

    // Fixed fractions of the measured duration: spread over start-up, work and commit.
    let interrupted = 0;
    for (const fraction of [0.35, 0.6, 0.8, 0.95]) {
      const workspace = path.join(await tempDir(), 'ws');
      for (const [args, ms] of [
        [importArgs(workspace), importMs],
        [stripArgs(workspace), stripMs],
      ] as const) {
        const child = execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], { reject: false, env: { ...env, CI: 'true' }, stdin: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), Math.round(ms * fraction));
        const outcome = await child;
        clearTimeout(timer);
        if (outcome.signal === 'SIGKILL') interrupted++;
        const rerun = await runCli(args, { env });
        expect(rerun.exitCode, rerun.stderr).toBe(0);
      }
      expect(await resultOf(workspace), `killed at ${fraction} of the run`).toEqual(expected);
    }
    // Most kills land while the command is still running (a kill after it finished proves nothing).
    expect(interrupted).toBeGreaterThanOrEqual(4);
  });
});
