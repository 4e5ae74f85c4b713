import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRecipe, stepsOfRecipe } from '../../src/pipeline/run-recipe.ts';
import { loadRecipe, parseRecipe, recipeJsonSchema } from '../../src/recipe/load.ts';
import { UsageError } from '../../src/util/errors.ts';
import { readJson, sampleMedia, snapshot, tempDir, testContext } from '../helpers.ts';

async function writeRecipe(dir: string, text: string): Promise<string> {
  const file = path.join(dir, 'osmedia.yml');
  await writeFile(file, text);
  return file;
}

describe('recipe validation', () => {
  it('names the field path and what was expected; one selector is a one-element list', () => {
    expect(parseRecipe('media:\n  source: x.iso\n  keep: Enterprise\n', 'osmedia.yml').media.keep).toEqual(['Enterprise']);
    const error = (() => {
      try {
        parseRecipe('media:\n  source: x.iso\n  keep: []\n', 'osmedia.yml');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/osmedia.yml is not a valid recipe:\n {2}media\.keep: at least one selector/);
  });

  it('rejects unknown fields by name and a missing source', () => {
    expect(() => parseRecipe('media:\n  source: x.iso\n  kepe: [Enterprise]\n', 'r.yml')).toThrow(/media\.kepe: unknown key; did you mean media\.keep\?/);
    expect(() => parseRecipe('media: {}\n', 'r.yml')).toThrow(/media\.source/);
    expect(() => parseRecipe('media:\n  source: x.iso\nstamp:\n  file: ../x.txt\n', 'r.yml')).toThrow(/stamp\.file: a path relative to the media root/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseRecipe('media:\n  source: [x\n  keep: 1\n', 'r.yml')).toThrow(/not valid YAML \(line \d+, column \d+\)/);
  });

  it('accepts numbers as index selectors and exports a JSON Schema', () => {
    expect(parseRecipe('media:\n  source: x.iso\n  keep: [Enterprise, 3]\n', 'r.yml').media.keep).toEqual(['Enterprise', '3']);
    const schema = recipeJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(['workspace', 'media', 'updates', 'stamp', 'iso', 'distribute', 'taskSequence']);
  });

  it('resolves the source against the recipe folder', async () => {
    const dir = await tempDir();
    const file = await writeRecipe(dir, 'media:\n  source: isos/win.iso\n  keep: [Enterprise]\nstamp:\n  revision: r1\n');
    const planned = stepsOfRecipe(await loadRecipe(file));
    expect(planned).toEqual([
      { step: 'import-media', options: { source: path.join(dir, 'isos', 'win.iso'), sha256: undefined, compression: 'LZX' } },
      { step: 'strip-indexes', options: { keep: ['Enterprise'] } },
      { step: 'stamp-build-file', options: { file: 'sources/osmedia-build.txt', revision: 'r1', recipeDir: dir } },
    ]);
  });
});

describe('osmedia run', () => {
  it('runs import, strip and stamp; a re-run skips every step; a changed recipe rebuilds from the source', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const isoBefore = await snapshot(sample.isoPath!);
    const file = await writeRecipe(dir, `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nstamp:\n  revision: r1\n`);
    const workspace = path.join(dir, 'ws');

    const first = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(first.steps.map((s) => [s.step, s.result])).toEqual([
      ['import-media', 'succeeded'],
      ['strip-indexes', 'succeeded'],
      ['stamp-build-file', 'succeeded'],
    ]);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.installWim.images.map((i: any) => i.editionId)).toEqual(['Enterprise']);

    const context = testContext(workspace);
    const second = await runRecipe(await loadRecipe(file), context);
    expect(second.reason).toBe('nothing changed');
    expect(second.steps.map((s) => s.result)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(await readJson(path.join(workspace, 'osmedia-manifest.json'))).toEqual(manifest);

    // Only the stamp changed: import and strip are skipped, stamp runs.
    await writeRecipe(dir, `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nstamp:\n  revision: r2\n`);
    const third = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(third.steps.map((s) => s.result)).toEqual(['skipped', 'skipped', 'succeeded']);

    // Other editions: strip cannot be undone in place, so the media is rebuilt from the source.
    await writeRecipe(dir, `media:\n  source: ${sample.isoPath}\n  keep: [Professional, Education]\nstamp:\n  revision: r2\n`);
    const fourth = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(fourth.reason).toMatch(/recipe changed at strip-indexes/);
    expect(fourth.steps.map((s) => s.result)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const rebuilt = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(rebuilt.installWim.images.map((i: any) => i.editionId)).toEqual(['Education', 'Professional']);
    expect(rebuilt.history.map((h: any) => h.step)).toEqual(['import-media', 'strip-indexes', 'stamp-build-file']);
    expect(await snapshot(sample.isoPath!)).toBe(isoBefore);
  });

  it('publishes from a recipe; a re-run skips the media steps and finds nothing to copy', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const file = await writeRecipe(
      dir,
      `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nstamp:\n  revision: r1\ndistribute:\n  targets: [share/Win11]\n  keep: 3\ntaskSequence:\n  packageId: P0100123\n`,
    );
    const workspace = path.join(dir, 'ws');
    await mkdir(path.join(dir, 'share'));
    const first = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(first.steps.map((s) => [s.step, s.result])).toEqual([
      ['import-media', 'succeeded'],
      ['strip-indexes', 'succeeded'],
      ['stamp-build-file', 'succeeded'],
      ['distribute', 'succeeded'],
      ['generate-task-sequence', 'succeeded'],
    ]);
    expect(await readJson(path.join(workspace, 'osmedia-manifest.json'))).toMatchObject({
      history: expect.arrayContaining([
        expect.objectContaining({ step: 'generate-task-sequence', summary: expect.objectContaining({ packageId: 'P0100123', editionIndex: 1 }) }),
      ]),
    });
    const current = await readJson(path.join(dir, 'share', 'Win11', 'current.json'));
    expect(current.version).toMatch(/^26100\.1742-/);
    const second = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(second.steps.map((s) => s.result)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(second.steps[3]!.summary).toMatchObject({ targets: [{ action: 'unchanged', filesCopied: 0 }] });
  });

  it('rebuilds when the media was edited by hand since the last run', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const file = await writeRecipe(dir, `media:\n  source: ${sample.isoPath}\nstamp: false\n`);
    const workspace = path.join(dir, 'ws');
    await runRecipe(await loadRecipe(file), testContext(workspace));
    await writeFile(path.join(workspace, 'media', 'setup.exe'), 'tampered');
    const again = await runRecipe(await loadRecipe(file), testContext(workspace));
    expect(again.reason).toMatch(/cannot be reused|does not match/);
    expect(again.steps.map((s) => s.result)).toEqual(['succeeded']);
  });
});
