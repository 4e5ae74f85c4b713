import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffStates, readState, renderDiff } from '../src/report/diff.ts';
import { runStep } from '../src/pipeline/run-step.ts';
import { importMedia } from '../src/steps/import-media.ts';
import { stampBuildFile } from '../src/steps/stamp-build-file.ts';
import { stripIndexes } from '../src/steps/strip-indexes.ts';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { runCli, sampleMedia, tempDir, testContext } from './helpers.ts';

/** Builds media from a sample and keeps a copy of its manifest at that point. */
async function manifestOf(options: Parameters<typeof sampleMedia>[0], keep?: string[]): Promise<string> {
  const sample = await sampleMedia(options);
  const workspace = path.join(await tempDir(), 'ws');
  await runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test');
  if (keep) await runStep(stripIndexes, { keep }, testContext(workspace), 'test');
  await runStep(stampBuildFile, { revision: 'r1' }, testContext(workspace), 'test');
  const copy = path.join(await tempDir(), 'osmedia-manifest.json');
  await copyFile(path.join(workspace, 'osmedia-manifest.json'), copy);
  return copy;
}

describe('osmedia diff on real manifests', () => {
  it('a new LCU: the build and the updates change', async () => {
    const before = await manifestOf({}, ['Enterprise']);
    const after = await manifestOf({ ubr: 2314, label: 'NOVEMBER' }, ['Enterprise']);
    // The update record, as apply-updates writes it into the manifest of the serviced media.
    const serviced = JSON.parse(await readFile(after, 'utf8'));
    serviced.updates = [{ kb: 'KB5046617', class: 'RollupFix', image: 1 }];
    await writeFile(after, JSON.stringify(serviced));
    const diff = diffStates(await readState(before), await readState(after));
    expect(diff.build).toEqual({ before: '10.0.26100.1742', after: '10.0.26100.2314', changed: true });
    expect(diff.updates).toEqual({ added: ['KB5046617'], removed: [] });
    expect(diff.editions).toEqual({ added: [], removed: [], kept: ['Enterprise (Windows 11 Enterprise)'] });
    expect(diff.files?.changed).toEqual(expect.arrayContaining(['sources/install.wim', 'sources/osmedia-build.txt', 'sources/setup.exe']));
    expect(diff.changed).toBe(true);
    expect(renderDiff(diff)).toMatch(/\| Build \| 10\.0\.26100\.1742 \| 10\.0\.26100\.2314 \| changed \|/);
    expect(renderDiff(diff)).toMatch(/\| Updates added \| {2}\| KB5046617 \| {2}\|/);
  });

  it('a changed edition set', async () => {
    const before = await manifestOf({}, ['Enterprise']);
    const after = await manifestOf({}, ['Enterprise', 'Professional']);
    const diff = diffStates(await readState(before), await readState(after));
    expect(diff.editions).toEqual({ added: ['Professional (Windows 11 Pro)'], removed: [], kept: ['Enterprise (Windows 11 Enterprise)'] });
    expect(diff.build.changed).toBe(false);
    expect(diff.changed).toBe(true);
  });

  it('a task sequence pointed at another package and edition is shown, apart from the media', async () => {
    const manifest = JSON.parse(await readFile(await manifestOf({}, ['Enterprise', 'Education']), 'utf8'));
    const withTs = (packageId: string, editionIndex: number, edition: string) => ({
      ...manifest,
      history: [
        ...manifest.history,
        {
          ...manifest.history[0],
          step: 'generate-task-sequence',
          effect: 'external',
          summary: { name: 'Upgrade to Windows 11 24H2', packageId, placeholder: false, editionIndex, edition, scanOnly: false },
        },
      ],
    });
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a.json'), JSON.stringify(withTs('P0100123', 1, 'Windows 11 Education')));
    await writeFile(path.join(dir, 'b.json'), JSON.stringify(withTs('P0100456', 2, 'Windows 11 Enterprise')));
    const diff = diffStates(await readState(path.join(dir, 'a.json')), await readState(path.join(dir, 'b.json')));
    expect(diff.taskSequence).toEqual({
      before: 'Upgrade to Windows 11 24H2: edition 1 (Windows 11 Education), package P0100123',
      after: 'Upgrade to Windows 11 24H2: edition 2 (Windows 11 Enterprise), package P0100456',
      changed: true,
    });
    expect(diff.changed).toBe(false);
    expect(renderDiff(diff)).toContain(
      '| Task sequence | Upgrade to Windows 11 24H2: edition 1 (Windows 11 Education), package P0100123 | Upgrade to Windows 11 24H2: edition 2 (Windows 11 Enterprise), package P0100456 | changed |',
    );
  });

  it('no change', async () => {
    const manifest = await manifestOf({}, ['Enterprise']);
    const diff = diffStates(await readState(manifest), await readState(manifest));
    expect(diff.changed).toBe(false);
    expect(diff.files).toMatchObject({ added: [], removed: [], changed: [] });
    expect(renderDiff(diff)).toMatch(/^\*\*No change to the media\.\*\*/);
  });

  it('from the CLI: two manifests, and a recipe against its published target without building', async () => {
    const before = await manifestOf({}, ['Enterprise']);
    const after = await manifestOf({}, ['Enterprise', 'Professional']);
    const byFiles = await runCli(['diff', '--before', before, '--after', after, '--json']);
    expect(byFiles.exitCode, byFiles.stderr).toBe(0);
    expect(byFiles.json().editions.added).toEqual(['Professional (Windows 11 Pro)']);

    const sample = await sampleMedia();
    const dir = await tempDir();
    await mkdir(path.join(dir, 'share'));
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\ndistribute:\n  targets: [share/Win11]\n`);
    expect((await runCli(['run', '--recipe', recipe])).exitCode).toBe(0);
    const same = await runCli(['diff', '--recipe', recipe, '--json']);
    expect(same.json()).toMatchObject({ changed: false, target: path.join(dir, 'share', 'Win11') });
    // A pull request adds an edition: the diff shows it, from the source alone, nothing is built.
    await writeFile(recipe, `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise, Education]\ndistribute:\n  targets: [share/Win11]\n`);
    const planned = await runCli(['diff', '--recipe', recipe]);
    expect(planned.stdout).toMatch(/Editions added \| {2}\| Education \(Windows 11 Education\)/);
    expect(planned.stdout).toMatch(/not known until the media is built/);
    const manifest = JSON.parse(await readFile(path.join(dir, 'ws', 'osmedia-manifest.json'), 'utf8'));
    expect(manifest.installWim.images.map((i: any) => i.editionId)).toEqual(['Enterprise']);

    // A pull request points the recipe at next month's updates: the diff names them (read and classified, not applied).
    await buildSampleUpdates({ dir: path.join(dir, 'updates'), only: ['safeOs', 'setupDu', 'express'] });
    await writeFile(
      recipe,
      `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nupdates:\n  from: updates\n  skipRejected: true\ndistribute:\n  targets: [share/Win11]\n`,
    );
    const withUpdates = await runCli(['diff', '--recipe', recipe, '--json']);
    expect(withUpdates.exitCode, withUpdates.stderr).toBe(0);
    expect(withUpdates.json().updates).toEqual({ added: ['KB5046619', 'KB5046620'], removed: [] });
  });
});

describe('osmedia diff without the shares', () => {
  it('shows what the recipe asks for when the source and the target are out of reach', async () => {
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, 'media:\n  source: /mnt/isos/not-mounted.iso\n  keep: [Enterprise]\ndistribute:\n  targets: [/mnt/share-not-mounted/Win11]\n');
    const result = await runCli(['diff', '--recipe', recipe]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\| +\| nothing published \| osmedia\.yml \(planned; source not reachable here\) \|/);
    expect(result.stdout).toMatch(/Editions added \| {2}\| Enterprise \(selector Enterprise\)/);
  });
});

describe('osmedia matrix', () => {
  it('emits one matrix entry per valid recipe, and refuses an invalid one', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'recipes', 'server'), { recursive: true });
    await writeFile(path.join(dir, 'recipes', 'win11-ent.yml'), 'media:\n  source: a.iso\n');
    await writeFile(path.join(dir, 'recipes', 'server', 'ws2025.yaml'), 'media:\n  source: b.iso\n  keep: [ServerStandard]\n');
    const result = await runCli(['matrix', 'recipes'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      include: [
        { recipe: 'recipes/server/ws2025.yaml', name: 'ws2025' },
        { recipe: 'recipes/win11-ent.yml', name: 'win11-ent' },
      ],
    });
    await writeFile(path.join(dir, 'recipes', 'broken.yml'), 'media:\n  sauce: a.iso\n');
    const broken = await runCli(['matrix', 'recipes'], { cwd: dir });
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yml is not a valid recipe/);
  });
});
