import { readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { WimlibEngine } from '../../src/imaging/wimlib.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { stampBuildFile } from '../../src/steps/stamp-build-file.ts';
import { selectImages, splitSelectors, stripIndexes } from '../../src/steps/strip-indexes.ts';
import { MediaError, UsageError } from '../../src/util/errors.ts';
import { hashFile } from '../../src/util/fs.ts';
import { readJson, sampleMedia, tempDir, testContext } from '../helpers.ts';

async function importedWorkspace(options: Parameters<typeof sampleMedia>[0] = {}) {
  const sample = await sampleMedia(options);
  const workspace = path.join(await tempDir(), 'ws');
  await runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test');
  return workspace;
}

async function strip(workspace: string, keep: string[]) {
  return runStep(stripIndexes, { keep }, testContext(workspace), 'test');
}

const wimNames = async (workspace: string) => (await new WimlibEngine().info(path.join(workspace, 'media', 'sources', 'install.wim'))).images;

describe('strip-indexes', () => {
  it('keeps one edition by EditionID (any case) with its metadata, and reports the bytes saved', async () => {
    const workspace = await importedWorkspace();
    const before = (await stat(path.join(workspace, 'media', 'sources', 'install.wim'))).size;
    const result = await strip(workspace, ['enterprise']);
    const images = await wimNames(workspace);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      index: 1,
      name: 'Windows 11 Enterprise',
      editionId: 'Enterprise',
      version: '10.0.26100.1742',
      architecture: 'x64',
      languages: ['en-US'],
    });
    const after = (await stat(path.join(workspace, 'media', 'sources', 'install.wim'))).size;
    expect(result.summary).toMatchObject({ bytesBefore: before, bytesAfter: after, bytesSaved: before - after });
    expect(before - after).toBeGreaterThan(0);
    // The manifest follows the file: images re-indexed, the file's new hash recorded.
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.installWim.images.map((i: any) => [i.index, i.editionId])).toEqual([[1, 'Enterprise']]);
    const entry = manifest.files.find((f: any) => f.path === 'sources/install.wim');
    expect(entry).toMatchObject({ size: after, sha256: await hashFile(path.join(workspace, 'media', 'sources', 'install.wim')) });
    expect(manifest.history.map((h: any) => h.step)).toEqual(['import-media', 'strip-indexes']);
    // A WimRE inside the kept image survives: the image content is intact.
    const { stdout } = await execa('wimlib-imagex', ['dir', path.join(workspace, 'media', 'sources', 'install.wim'), '1', '--path=/Windows/System32/Recovery']);
    expect(stdout).toContain('Winre.wim');
  });

  it("keeps by exact name, by index, and several at once in the WIM's own order", async () => {
    const byName = await importedWorkspace();
    await strip(byName, ['Windows 11 Pro']);
    expect((await wimNames(byName)).map((i) => i.editionId)).toEqual(['Professional']);

    const byIndex = await importedWorkspace();
    await strip(byIndex, ['4']);
    expect((await wimNames(byIndex)).map((i) => i.editionId)).toEqual(['ProfessionalEducation']);

    const several = await importedWorkspace();
    await strip(several, splitSelectors(['Professional,1', 'Windows 11 Enterprise']));
    expect((await wimNames(several)).map((i) => [i.index, i.editionId])).toEqual([
      [1, 'Education'],
      [2, 'Enterprise'],
      [3, 'Professional'],
    ]);
  });

  it('fails with the list of available images when a selector matches nothing, leaving install.wim as it was', async () => {
    const workspace = await importedWorkspace();
    const wim = path.join(workspace, 'media', 'sources', 'install.wim');
    const hash = await hashFile(wim);
    const error = await strip(workspace, ['Enterprise', 'Enterprize']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('No image in install.wim matches "Enterprize"');
    expect((error as Error).message).toMatch(/2 {2}Windows 11 Enterprise {2}\[Enterprise\]/);
    expect(await hashFile(wim)).toBe(hash);
    // The failed attempt is recorded for troubleshooting; the media fingerprint is unchanged.
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.history.at(-1)).toMatchObject({ step: 'strip-indexes', result: 'failed' });
  });

  it('keeping every image changes nothing; the same strip again is skipped', async () => {
    const workspace = await importedWorkspace();
    const all = await strip(workspace, ['1', '2', '3', '4']);
    expect(all.summary).toMatchObject({ bytesSaved: 0 });
    await strip(workspace, ['Enterprise']);
    const again = await strip(workspace, ['Enterprise']);
    expect(again.result).toBe('skipped');
  });

  it('refuses a workspace whose media was edited by hand', async () => {
    const workspace = await importedWorkspace();
    await writeFile(path.join(workspace, 'media', 'sources', 'extra.txt'), 'hand edit');
    await expect(strip(workspace, ['Enterprise'])).rejects.toThrow(MediaError);
    await expect(strip(workspace, ['Enterprise'])).rejects.toThrow(/changed outside osmedia: sources\/extra\.txt \(not in the manifest\)/);
  });

  it('refuses a folder that is not a workspace', async () => {
    await expect(strip(await tempDir(), ['Enterprise'])).rejects.toThrow(/not an osmedia workspace/);
  });

  it('selectImages prefers index, then exact name, then EditionID', () => {
    const image = (index: number, name: string, editionId: string) => ({
      index,
      name,
      editionId,
      description: '',
      displayName: '',
      architecture: 'x64',
      languages: [],
      defaultLanguage: '',
      version: '',
      installationType: '',
      productType: '',
      totalBytes: 0,
    });
    const images = [image(1, '2', 'Core'), image(2, 'Enterprise', 'Professional'), image(3, 'Windows 11 Enterprise', 'Enterprise')];
    expect(selectImages(images, ['2']).map((i) => i.index)).toEqual([2]);
    expect(selectImages(images, ['Enterprise']).map((i) => i.index)).toEqual([2]);
    expect(selectImages(images, ['ENTERPRISE']).map((i) => i.index)).toEqual([3]);
  });
});

describe('stamp-build-file', () => {
  it('removes autorun.inf in any letter case and writes the text and JSON build files', async () => {
    const workspace = await importedWorkspace();
    await strip(workspace, ['Enterprise']);
    const media = path.join(workspace, 'media');
    const result = await runStep(stampBuildFile, { revision: 'abc1234' }, testContext(workspace), 'test');
    expect(result.summary).toMatchObject({ removed: ['autorun.inf'], file: 'sources/osmedia-build.txt', json: 'sources/osmedia-build.json' });
    expect((await readdir(media)).map((n) => n.toLowerCase())).not.toContain('autorun.inf');
    const text = await readFile(path.join(media, 'sources', 'osmedia-build.txt'), 'utf8');
    expect(text).toContain('OS build:         10.0.26100.1742\r\n');
    expect(text).toContain('1: Windows 11 Enterprise [Enterprise] 10.0.26100.1742');
    expect(text).toContain('Volume label:     CCCOMA_X64FRE_EN-US_DV9');
    expect(text).toContain('Recipe revision:  abc1234');
    expect(text).toContain('Stamped at:       2026-11-10T18:00:00.000Z');
    const json = await readJson(path.join(media, 'sources', 'osmedia-build.json'));
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(json).toMatchObject({
      build: '10.0.26100.1742',
      architecture: 'x64',
      languages: ['en-US'],
      volumeLabel: 'CCCOMA_X64FRE_EN-US_DV9',
      recipeRevision: 'abc1234',
      source: { sha256: manifest.source.sha256 },
      editions: [{ index: 1, editionId: 'Enterprise' }],
    });
    expect(manifest.buildFile).toEqual({ text: 'sources/osmedia-build.txt', json: 'sources/osmedia-build.json' });
    expect(manifest.files.map((f: any) => f.path)).toContain('sources/osmedia-build.json');
    expect(manifest.files.map((f: any) => f.path)).not.toContain('autorun.inf');
  });

  it('finds AUTORUN.INF in upper case, honours --file and SOURCE_DATE_EPOCH', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const { cp } = await import('node:fs/promises');
    const source = path.join(dir, 'src');
    await cp(sample.mediaDir, source, { recursive: true });
    await rename(path.join(source, 'autorun.inf'), path.join(source, 'AutoRun.INF'));
    const workspace = path.join(dir, 'ws');
    await runStep(importMedia, { source }, testContext(workspace), 'test');
    process.env.SOURCE_DATE_EPOCH = '1767225600';
    try {
      const result = await runStep(stampBuildFile, { file: 'osmedia\\build.txt' }, testContext(workspace), 'test');
      expect(result.summary).toMatchObject({ removed: ['AutoRun.INF'], file: 'osmedia/build.txt' });
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    const json = await readJson(path.join(workspace, 'media', 'osmedia', 'build.json'));
    expect(json.stampedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(json.recipeRevision).toMatch(/^none/);
  });

  it('records the git commit of the recipe folder', async () => {
    const workspace = await importedWorkspace();
    const repo = await tempDir();
    const git = (...args: string[]) => execa('git', ['-C', repo, '-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args]);
    await git('init', '-q');
    await writeFile(path.join(repo, 'osmedia.yml'), 'media: {source: x}\n');
    await git('add', '.');
    await git('commit', '-qm', 'recipe');
    const head = String((await git('rev-parse', 'HEAD')).stdout).trim();
    const result = await runStep(stampBuildFile, { recipeDir: repo }, testContext(workspace), 'test');
    expect(result.summary.recipeRevision).toBe(head);
  });

  it('rejects a path outside the media or a .json name', async () => {
    const workspace = await importedWorkspace();
    await expect(runStep(stampBuildFile, { file: '../escape.txt' }, testContext(workspace), 'test')).rejects.toThrow(/relative to the media root/);
    await expect(runStep(stampBuildFile, { file: '/etc/x.txt' }, testContext(workspace), 'test')).rejects.toThrow(UsageError);
    await expect(runStep(stampBuildFile, { file: 'build.json' }, testContext(workspace), 'test')).rejects.toThrow(/JSON twin/);
  });
});
