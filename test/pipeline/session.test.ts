// A run is one session (issue 14.1), the plan is red exactly when the run would fail (17.1), and a
// forced rebuild never publishes a duplicate (17.15): each tested the way a user meets it, with the
// CLI as separate processes on the sample media.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { buildSampleUpdates } from '../../src/sample/sample-updates.ts';
import { node24, readJson, repoRoot, runCli, sampleMedia, tempDir } from '../helpers.ts';

async function writeRecipe(dir: string, lines: string[]): Promise<string> {
  const file = path.join(dir, 'osmedia.yml');
  await writeFile(file, [...lines, ''].join('\n'));
  return file;
}

/** Waits for a file another process writes (no timing assumption: as long as the test's own timeout). */
async function fileAppears(file: string): Promise<void> {
  while (!existsSync(file)) await sleep(20);
}

function startCli(args: string[], env: Record<string, string> = {}) {
  return execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], { reject: false, cwd: repoRoot, env: { CI: 'true', ...env }, stdin: 'ignore' });
}

describe('one session per run', () => {
  it('a second run stops with the lock message or waits (--wait); it never slips in between two steps', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = await writeRecipe(dir, ['workspace: ws', 'media:', `  source: ${sample.isoPath}`, '  keep: [Enterprise]', 'stamp:', '  revision: r1']);
    const go = path.join(dir, 'go');
    // The first run holds still right after its first step committed: between import-media and strip-indexes.
    const first = startCli(['run', '--recipe', recipe, '--json'], { OSMEDIA_PAUSE_POINT: 'committed:import-media', OSMEDIA_PAUSE_FILE: go });
    await fileAppears(`${go}.reached`);

    const refused = await runCli(['run', '--recipe', recipe]);
    expect(refused.exitCode).toBe(3); // the exit-code table: 3 = locked by another run
    expect(refused.stderr).toMatch(/The workspace .*ws is in use by "osmedia run --recipe .*osmedia\.yml" \(pid \d+/);
    expect(refused.stderr).toMatch(/--wait SECONDS/);

    const waiting = startCli(['run', '--recipe', recipe, '--wait', '3600', '--json']);
    // It announces that it waits (an event on its log), then the first run is let go.
    await new Promise<void>((resolve) => {
      let seen = '';
      waiting.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/waiting for the workspace/.test(seen)) resolve();
      });
    });
    await writeFile(go, '');
    const [a, b] = await Promise.all([first, waiting]);
    expect(a.exitCode, String(a.stderr)).toBe(0);
    expect(JSON.parse(String(a.stdout)).steps.map((s: { result: string }) => s.result)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The waiting run started after the first had finished every step: it finds nothing to do.
    expect(b.exitCode, String(b.stderr)).toBe(0);
    const second = JSON.parse(String(b.stdout));
    expect(second.reason).toBe('nothing changed');
    expect(second.steps.map((s: { result: string }) => s.result)).toEqual(['skipped', 'skipped', 'skipped']);
    const manifest = await readJson(path.join(dir, 'ws', 'osmedia-manifest.json'));
    expect(manifest.history.map((h: { step: string }) => h.step)).toEqual(['import-media', 'strip-indexes', 'stamp-build-file']);
  });

  it('a recipe run killed after a step verified its change is finished by the next run, inside its session', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = await writeRecipe(dir, ['workspace: ws', 'media:', `  source: ${sample.isoPath}`, '  keep: [Enterprise]', 'stamp:', '  revision: r1']);
    // Killed once import-media's journal is on disk: the media is verified, not yet renamed into place.
    const killed = await startCli(['run', '--recipe', recipe], { OSMEDIA_FAULT_POINT: 'journal-written' });
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await runCli(['run', '--recipe', recipe, '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/finishing a change that an interrupted run had already verified/);
    // The recovered import counts as done: the session goes on from there.
    expect(rerun.json().steps.map((s: { step: string; result: string }) => [s.step, s.result])).toEqual([
      ['import-media', 'skipped'],
      ['strip-indexes', 'succeeded'],
      ['stamp-build-file', 'succeeded'],
    ]);
    expect(existsSync(path.join(dir, 'ws', '.osmedia', 'journal.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'ws', '.osmedia', 'lock'))).toBe(false);
  });

  it('run --force on an unchanged recipe redoes the work but publishes no second, identical version', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = await writeRecipe(dir, [
      'workspace: ws',
      'media:',
      `  source: ${sample.isoPath}`,
      '  keep: [Enterprise]',
      'stamp:',
      '  revision: r1',
      'distribute:',
      '  targets: [share]',
    ]);
    const first = await runCli(['run', '--recipe', recipe, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const published = await readJson(path.join(dir, 'share', 'current.json'));
    const forced = await runCli(['run', '--recipe', recipe, '--force', '--json']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    const steps = forced.json().steps as { step: string; result: string; summary: { targets?: { version: string; action: string }[] } }[];
    // The media steps ran again (a fresh import, strip and stamp) …
    expect(steps.map((s) => s.result)).toEqual(['succeeded', 'succeeded', 'succeeded', 'skipped']);
    // … and distribute found the current version made from the same inputs: it stands, nothing was copied.
    expect(steps[3]!.summary.targets![0]).toMatchObject({ version: published.version, action: 'unchanged' });
    const versions = (await readdir(path.join(dir, 'share'))).filter((n) => /^\d+\.\d+-/.test(n));
    expect(versions).toEqual([published.version]);
    // A changed input is a new version, as before.
    await writeRecipe(dir, [
      'workspace: ws',
      'media:',
      `  source: ${sample.isoPath}`,
      '  keep: [Enterprise]',
      'stamp:',
      '  revision: r2',
      'distribute:',
      '  targets: [share]',
    ]);
    expect((await runCli(['run', '--recipe', recipe])).exitCode).toBe(0);
    expect((await readdir(path.join(dir, 'share'))).filter((n) => /^\d+\.\d+-/.test(n))).toHaveLength(2);
  });

  it('plan is red for a workspace folder that holds other files and no osmedia media, as run is', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    await mkdir(path.join(dir, 'ws'));
    await writeFile(path.join(dir, 'ws', 'notes.txt'), 'not osmedia');
    const recipe = await writeRecipe(dir, ['workspace: ws', 'media:', `  source: ${sample.isoPath}`]);
    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.exitCode).toBe(2);
    expect(plan.stdout + plan.stderr).toMatch(/is not empty \(notes\.txt\) and holds no osmedia media/);
    expect((await runCli(['run', '--recipe', recipe])).exitCode).toBe(2);
  });

  it('plan is red for a distribute target whose parent is missing (an unreachable share), and run stops before its first step', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    await writeFile(path.join(dir, 'afile'), 'not a folder');
    const recipe = await writeRecipe(dir, ['workspace: ws', 'media:', `  source: ${sample.isoPath}`, 'distribute:', '  targets: [afile/Win11]']);
    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.exitCode).toBe(2);
    expect(plan.stdout + plan.stderr).toMatch(/The parent folder of the target, .*afile, does not exist/);
    const run = await runCli(['run', '--recipe', recipe]);
    expect(run.exitCode).toBe(2);
    expect(existsSync(path.join(dir, 'ws', 'media'))).toBe(false);
  });

  it('run --force on an unchanged recipe copies nothing to a mirror either (the same content stands in place)', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = await writeRecipe(dir, [
      'workspace: ws',
      'media:',
      `  source: ${sample.isoPath}`,
      '  keep: [Enterprise]',
      'stamp:',
      '  revision: r1',
      'distribute:',
      '  targets: [share]',
      '  layout: mirror',
    ]);
    expect((await runCli(['run', '--recipe', recipe])).exitCode).toBe(0);
    const before = await readJson(path.join(dir, 'share', 'osmedia-published.json'));
    const forced = await runCli(['run', '--recipe', recipe, '--force', '--json']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    const target = (forced.json().steps as { summary: { targets?: { version: string; action: string; filesCopied: number }[] } }[])[3]!.summary.targets![0];
    expect(target).toMatchObject({ version: before.version, action: 'unchanged', filesCopied: 0 });
    expect((await readJson(path.join(dir, 'share', 'osmedia-published.json'))).fingerprint).toBe(before.fingerprint);
  });
});

describe('osmedia plan is red exactly when osmedia run would fail', () => {
  it('names each problem a run would meet, with a non-zero exit; a good recipe is green', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const updates = await buildSampleUpdates({ dir: path.join(dir, 'updates'), only: ['setupDu', 'express'] });
    const base = ['workspace: ws', 'media:', `  source: ${sample.isoPath}`];
    const cases: [string, string[], RegExp][] = [
      [
        'the ISO does not exist',
        ['workspace: ws', 'media:', `  source: ${path.join(dir, 'missing.iso')}`, '  keep: [Enterprise]'],
        /missing\.iso does not exist/,
      ],
      ['a kept edition the ISO lacks', [...base, '  keep: [Enterprise, Enterprize]'], /No image in install\.wim matches "Enterprize"/],
      ['updates.from missing', [...base, '  keep: [Enterprise]', 'updates:', '  from: no-such-folder'], /The updates folder .*no-such-folder cannot be read/],
      [
        'an express CAB, skipRejected false',
        [...base, '  keep: [Enterprise]', 'updates:', `  from: ${updates.dir}`],
        /kb5046617-x64-express\.cab: an online-only express payload/,
      ],
      [
        'two editions, a task sequence naming none',
        [...base, '  keep: [Enterprise, Professional]', 'taskSequence:', '  name: Upgrade'],
        /install\.wim holds 2 images/,
      ],
    ];
    for (const [what, lines, message] of cases) {
      const recipe = await writeRecipe(dir, lines);
      const plan = await runCli(['plan', '--recipe', recipe]);
      expect(plan.exitCode, what).toBe(2);
      expect(plan.stdout, what).toMatch(message);
      expect(plan.stdout, what).toMatch(/would stop before its first step/);
    }
    // The image list came from the ISO without extracting it: no workspace was created.
    expect(existsSync(path.join(dir, 'ws'))).toBe(false);
    const good = await writeRecipe(dir, [...base, '  keep: [Enterprise, Professional]', 'taskSequence:', '  edition: Professional']);
    const green = await runCli(['plan', '--recipe', good, '--json']);
    expect(green.exitCode, green.stderr).toBe(0);
    expect(green.json()).toMatchObject({ ok: true, problems: [] });
  });

  it('run stops before its first step: nothing imported, nothing published, when a later step is bound to fail', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = await writeRecipe(dir, [
      'workspace: ws',
      'media:',
      `  source: ${sample.isoPath}`,
      '  keep: [Enterprise, Professional]',
      'distribute:',
      '  targets: [share]',
      'taskSequence:',
      '  name: Upgrade',
    ]);
    const run = await runCli(['run', '--recipe', recipe]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/generate-task-sequence: install\.wim holds 2 images: say which edition/);
    expect(run.stderr).toMatch(/taskSequence\.edition/);
    expect(existsSync(path.join(dir, 'share'))).toBe(false);
    expect(existsSync(path.join(dir, 'ws', 'media'))).toBe(false);
    expect(existsSync(path.join(dir, 'ws', 'osmedia-manifest.json'))).toBe(false);
  });
});
