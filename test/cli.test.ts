import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandNames } from '../src/cli.ts';
import { node24, repoRoot, runCli, sampleMedia, snapshot, tempDir } from './helpers.ts';

describe('osmedia CLI', () => {
  it('prints help for the program and for every command, and its version', async () => {
    const top = await runCli(['--help']);
    expect(top.exitCode).toBe(0);
    for (const name of commandNames) expect(top.stdout).toContain(name);
    for (const name of commandNames) {
      const help = await runCli([name, '--help']);
      expect(help.exitCode, name).toBe(0);
      expect(help.stdout).toContain(`Usage: osmedia ${name}`);
      expect(help.stdout).toContain('--json');
    }
    expect((await runCli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on usage errors: unknown command, unknown flag, missing required flag', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    const flag = await runCli(['import-media', '--sauce', 'x']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/--sauce/);
    const missing = await runCli(['import-media', '--workspace', '/tmp/x', '--json']);
    expect(missing.exitCode).toBe(2);
    expect(missing.json()).toMatchObject({ ok: false, error: { type: 'UsageError', message: '--source is required' } });
  });

  it('runs import, strip, stamp and inspect end to end with --json results on stdout and logs on stderr', async () => {
    const sample = await sampleMedia();
    const workspace = path.join(await tempDir(), 'ws');
    const imported = await runCli(['import-media', '--source', sample.isoPath!, '--workspace', workspace, '--json']);
    expect(imported.exitCode, imported.stderr).toBe(0);
    expect(imported.json()).toMatchObject({
      ok: true,
      command: 'import-media',
      step: 'import-media',
      result: 'succeeded',
      build: '10.0.26100.1742',
      workspace,
    });
    expect(imported.stderr).toContain('[import-media] extracting');

    const stripped = await runCli(['strip-indexes', '-w', workspace, '--keep', 'Enterprise', '--keep', 'Professional', '--json']);
    expect(stripped.exitCode, stripped.stderr).toBe(0);
    expect(stripped.json().images.map((i: any) => i.editionId)).toEqual(['Enterprise', 'Professional']);

    const stamped = await runCli(['stamp-build-file', '-w', workspace, '--revision', 'r1']);
    expect(stamped.exitCode).toBe(0);
    expect(stamped.stdout).toMatch(/stamp-build-file: succeeded — build 10\.0\.26100\.1742/);

    const inspected = await runCli(['inspect', workspace, '--json']);
    expect(inspected.json()).toMatchObject({ kind: 'workspace', install: { imageCount: 2 } });
    expect(inspected.json().manifest.history.map((h: any) => h.step)).toEqual(['import-media', 'strip-indexes', 'stamp-build-file']);
  });

  it('exits 2 and lists the images when a selector matches nothing', async () => {
    const sample = await sampleMedia();
    const workspace = path.join(await tempDir(), 'ws');
    await runCli(['import-media', '--source', sample.isoPath!, '--workspace', workspace]);
    const result = await runCli(['strip-indexes', '-w', workspace, '--keep', 'Enterprize']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/No image in install.wim matches "Enterprize"/);
    expect(result.stderr).toMatch(/Windows 11 Pro Education {2}\[ProfessionalEducation\]/);
  });

  it('exits 1 with the fix for bad media, leaving the source as it was', async () => {
    const dir = await tempDir();
    const iso = path.join(dir, 'bad.iso');
    await writeFile(iso, 'not an iso at all');
    const before = await snapshot(iso);
    const result = await runCli(['import-media', '--source', iso, '--workspace', path.join(dir, 'ws')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: .*cannot be opened as an ISO/m);
    expect(result.stderr).toMatch(/^fix: /m);
    expect(await snapshot(iso)).toBe(before);
  });

  it('inspects an ISO, a media folder and a WIM without changing them', async () => {
    const sample = await sampleMedia();
    const isoBefore = await snapshot(sample.isoPath!);
    const iso = await runCli(['inspect', sample.isoPath!, '--json']);
    expect(iso.exitCode, iso.stderr).toBe(0);
    expect(iso.json()).toMatchObject({
      kind: 'iso',
      volumeLabel: 'CCCOMA_X64FRE_EN-US_DV9',
      installKind: 'wim',
      install: { imageCount: 4 },
      boot: { bootIndex: 2 },
    });
    expect(await snapshot(sample.isoPath!)).toBe(isoBefore);
    const folder = await runCli(['inspect', sample.mediaDir]);
    expect(folder.stdout).toMatch(/2 +Enterprise +10\.0\.26100\.1742 +x64 +en-US +Windows 11 Enterprise/);
    const wim = await runCli(['inspect', path.join(sample.mediaDir, 'sources', 'boot.wim'), '--json']);
    expect(wim.json()).toMatchObject({ kind: 'wim', install: { bootIndex: 2, imageCount: 2 } });
  });

  it('runs a recipe, then skips it, and shows the plan', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, `workspace: work\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nstamp:\n  revision: test\n`);
    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.stdout).toMatch(
      /run {2}import-media\n +import .*CCCOMA_X64FRE_EN-US_DV9.iso into media\/\n?.*\nrun {2}strip-indexes\n +keep Enterprise in install.wim/,
    );
    const first = await runCli(['run', '--recipe', recipe, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ changed: true, build: '10.0.26100.1742', workspace: path.join(dir, 'work') });
    const second = await runCli(['run', '--recipe', recipe, '--json']);
    expect(second.json()).toMatchObject({ changed: false, reason: 'nothing changed' });
    expect(second.json().steps.map((s: any) => s.result)).toEqual(['skipped', 'skipped', 'skipped']);
    const replan = await runCli(['plan', '--recipe', recipe]);
    expect(replan.stdout).toMatch(/skip import-media\nskip strip-indexes\nskip stamp-build-file/);
  });

  it('exits 2 for a recipe with a wrong field', async () => {
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, 'media:\n  source: x.iso\n  keep: {index: 7}\n');
    const result = await runCli(['run', '--recipe', recipe]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/media\.keep: .*expected string/);
  });

  it('the installed entry point (bin/osmedia.js → the lib/osmedia.js bundle) works as the sources do', async () => {
    const sample = await sampleMedia();
    const { execa } = await import('execa');
    const run = (...args: string[]) => execa(node24, [path.join(repoRoot, 'bin', 'osmedia.js'), ...args], { reject: false, env: { CI: 'true' } });
    expect(String((await run('--version')).stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const inspected = await run('inspect', sample.isoPath!, '--json');
    expect(inspected.exitCode, String(inspected.stderr)).toBe(0);
    expect(JSON.parse(String(inspected.stdout))).toMatchObject({ kind: 'iso', install: { imageCount: 4 } });
  });

  it('prints progress as periodic plain lines in CI logs', async () => {
    const sample = await sampleMedia();
    const workspace = path.join(await tempDir(), 'ws');
    const result = await runCli(['import-media', '--source', sample.isoPath!, '--workspace', workspace]);
    expect(result.stderr).toMatch(/^\[import-media\] hashing media: 100% /m);
    expect(result.stderr).not.toContain('\r');
  });
});
