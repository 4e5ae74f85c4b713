// A run killed at any moment (SIGKILL included) and then re-run with the same command must end
// exactly where an uninterrupted run ends, with nothing left behind.
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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

/** Only a hang guard, never a speed assumption: these tests wait on fault points and progress lines, not on a clock. */
const HANG_GUARD_MS = 600_000;

describe('a killed run, re-run with the same command, converges: every commit point of import, strip and stamp', () => {
  const commands = (iso: string, workspace: string) => [
    ['import-media', '--source', iso, '--workspace', workspace],
    ['strip-indexes', '--workspace', workspace, '--keep', 'Enterprise,Education'],
    ['stamp-build-file', '--workspace', workspace, '--revision', 'r1'],
  ];
  let iso: string;
  let expected: Awaited<ReturnType<typeof resultOf>>;
  beforeAll(async () => {
    iso = (await sampleMedia()).isoPath!;
    const reference = path.join(await tempDir(), 'ws');
    for (const args of commands(iso, reference)) expect((await runCli(args, { env })).exitCode).toBe(0);
    expected = await resultOf(reference);
  }, HANG_GUARD_MS);

  const points: [number, string][] = [
    ...['import-extracted', 'import-verified', 'journal-written', 'renamed', 'manifest-written'].map((p) => [0, p] as [number, string]),
    ...['strip-exported', 'journal-written', 'renamed', 'manifest-written'].map((p) => [1, p] as [number, string]),
    ...['journal-written', 'renamed', 'manifest-written'].map((p) => [2, p] as [number, string]),
  ];
  // One test per kill: each waits on its fault point (the process kills itself there), not on time.
  for (const [stepIndex, fault] of points) {
    it(
      `${['import-media', 'strip-indexes', 'stamp-build-file'][stepIndex]} killed at ${fault}`,
      async () => {
        const workspace = path.join(await tempDir(), 'ws');
        const list = commands(iso, workspace);
        for (const args of list.slice(0, stepIndex)) expect((await runCli(args, { env })).exitCode).toBe(0);
        const killed = await killedRun(list[stepIndex]!, fault);
        expect(killed.signal, `${list[stepIndex]![0]} at ${fault}`).toBe('SIGKILL');
        for (const args of list.slice(stepIndex)) {
          const rerun = await runCli(args, { env });
          expect(rerun.exitCode, `${args[0]} after a kill at ${fault}: ${rerun.stderr}`).toBe(0);
        }
        expect(await resultOf(workspace), `after a kill at ${fault}`).toEqual(expected);
      },
      HANG_GUARD_MS,
    );
  }
  it('covers 12 commit points', () => expect(points).toHaveLength(12));
});

describe('a killed run, re-run with the same command, converges: every commit point of apply-updates (the Setup DU part, which runs here)', () => {
  let iso: string;
  let updatesDir: string;
  let expected: Awaited<ReturnType<typeof resultOf>>;
  const prepare = async (workspace: string) => {
    expect((await runCli(['import-media', '--source', iso, '--workspace', workspace], { env })).exitCode).toBe(0);
    expect((await runCli(['strip-indexes', '--workspace', workspace, '--keep', 'Enterprise'], { env })).exitCode).toBe(0);
  };
  const apply = (workspace: string) => ['apply-updates', '--workspace', workspace, '--updates', updatesDir];
  beforeAll(async () => {
    iso = (await sampleMedia()).isoPath!;
    updatesDir = (await buildSampleUpdates({ dir: path.join(await tempDir(), 'updates'), only: ['setupDu'] })).dir;
    const reference = path.join(await tempDir(), 'ws');
    await prepare(reference);
    expect((await runCli(apply(reference), { env })).exitCode).toBe(0);
    expected = await resultOf(reference);
  }, HANG_GUARD_MS);

  for (const fault of ['updates-staged', 'journal-written', 'renamed', 'manifest-written']) {
    it(
      `killed at ${fault}`,
      async () => {
        const workspace = path.join(await tempDir(), 'ws');
        await prepare(workspace);
        const killed = await killedRun(apply(workspace), fault);
        expect(killed.signal, fault).toBe('SIGKILL');
        const rerun = await runCli(apply(workspace), { env });
        expect(rerun.exitCode, `after a kill at ${fault}: ${rerun.stderr}`).toBe(0);
        expect(await resultOf(workspace), `after a kill at ${fault}`).toEqual(expected);
        expect(await readdir(path.join(workspace, '.osmedia', 'scratch')).catch(() => []), fault).toEqual([]);
      },
      HANG_GUARD_MS,
    );
  }
});

/** A progress line of a CI log: `[step] phase: N%` (the detail in parentheses is not part of the phase). */
function progressOf(line: string): { phase: string; percent: number } | undefined {
  const match = /^(\[[^\]]+\] .+): (\d+)%/.exec(line);
  return match ? { phase: match[1]!.replace(/ \([^)]*\)$/, ''), percent: Number(match[2]) } : undefined;
}

/**
 * Runs the command and SIGKILLs it from outside as soon as its own CI log says it reached `marker`
 * (a phase and a percentage): the kill waits on what the process reports, not on a clock.
 */
async function killAtProgress(args: string[], marker: { phase: string; percent: number }) {
  const child = execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], { reject: false, env: { ...env, CI: 'true' }, stdin: 'ignore', buffer: false });
  let pending = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const progress = progressOf(line);
      if (!sent && progress && progress.phase === marker.phase && progress.percent >= marker.percent) {
        sent = true;
        child.kill('SIGKILL');
      }
    }
  });
  const outcome = await child;
  return { killed: outcome.signal === 'SIGKILL', sent };
}

describe('a killed run, re-run with the same command, converges', () => {
  it(
    'at moments spread over a longer import and strip (SIGKILL from outside, when the run reports a phase and percentage)',
    async () => {
      const sample = await sampleMedia({ payloadBytes: 24 * 1024 * 1024 });
      const reference = path.join(await tempDir(), 'ws');
      const importArgs = (ws: string) => ['import-media', '--source', sample.isoPath!, '--workspace', ws];
      const stripArgs = (ws: string) => ['strip-indexes', '--workspace', ws, '--keep', 'Professional'];
      // The reference run's CI log: its phases and the percentages it reached, in order.
      const markersOf = (stderr: string) => stderr.split('\n').flatMap((l) => progressOf(l) ?? []);
      const importRun = await runCli(importArgs(reference), { env: { ...env, CI: 'true' } });
      expect(importRun.exitCode).toBe(0);
      const stripRun = await runCli(stripArgs(reference), { env: { ...env, CI: 'true' } });
      expect(stripRun.exitCode).toBe(0);
      const expected = await resultOf(reference);
      const importMarkers = markersOf(importRun.stderr);
      const stripMarkers = markersOf(stripRun.stderr);
      expect(importMarkers.length, importRun.stderr).toBeGreaterThan(3);
      expect(stripMarkers.length, stripRun.stderr).toBeGreaterThan(3);

      // Markers at fixed fractions of the reported progress: spread over the phases of each command.
      let interrupted = 0;
      for (const fraction of [0.35, 0.6, 0.8, 0.95]) {
        const workspace = path.join(await tempDir(), 'ws');
        for (const [args, markers] of [
          [importArgs(workspace), importMarkers],
          [stripArgs(workspace), stripMarkers],
        ] as const) {
          const marker = markers[Math.min(markers.length - 1, Math.floor(markers.length * fraction))]!;
          const { killed } = await killAtProgress(args, marker);
          if (killed) interrupted++;
          const rerun = await runCli(args, { env });
          expect(rerun.exitCode, rerun.stderr).toBe(0);
        }
        expect(await resultOf(workspace), `killed at ${fraction} of the reported progress`).toEqual(expected);
      }
      // A kill sent on a progress line lands while the command runs (one after it finished would prove nothing).
      expect(interrupted).toBeGreaterThanOrEqual(6);
    },
    HANG_GUARD_MS,
  );
});
