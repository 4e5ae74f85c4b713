// Issue 17.8: the Jenkins library writes the optional values it does not have as JSON null
// (`sha256: recipe.media.sha256` for a recipe without a pin, `revision: env.GIT_COMMIT` outside a
// Git checkout). In --args-file, null for an optional key means "not set", and no "null" string
// is ever recorded.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutNulls } from '../src/util/nulls.ts';
import { readJson, runCli, sampleMedia, tempDir } from './helpers.ts';

async function argsFile(content: Record<string, unknown>): Promise<string> {
  const file = path.join(await tempDir(), 'args.json');
  await writeFile(file, JSON.stringify(content, null, 2));
  return file;
}

describe('--args-file with null values', () => {
  it('drops null keys at every depth and keeps everything else as it is', () => {
    expect(withoutNulls({ a: null, b: 0, c: '', d: false, e: [{ path: 'x', sha256: null }, 'y'], f: { g: null, h: 1 } })).toEqual({
      b: 0,
      c: '',
      d: false,
      e: [{ path: 'x' }, 'y'],
      f: { h: 1 },
    });
  });

  it('import-media and stamp-build-file run with the nulls the Jenkins library writes, and record no "null"', async () => {
    const sample = await sampleMedia();
    const workspace = path.join(await tempDir(), 'ws');
    // What osmediaImportMedia(workspace:, source:, sha256: recipe.media.sha256, force: params.FORCE) wrote.
    const imported = await runCli([
      'import-media',
      '--args-file',
      await argsFile({ workspace, source: sample.isoPath, sha256: null, compression: null, force: false }),
    ]);
    expect(imported.exitCode, imported.stderr).toBe(0);
    // What osmediaStampBuildFile(workspace:, revision: env.GIT_COMMIT) wrote where GIT_COMMIT is unset.
    const stamped = await runCli(['stamp-build-file', '--json', '--args-file', await argsFile({ workspace, revision: null, file: null })]);
    expect(stamped.exitCode, stamped.stderr).toBe(0);
    const result = JSON.parse(stamped.stdout);
    expect(result.summary.recipeRevision).not.toMatch(/null/);
    const buildFile = await readFile(path.join(workspace, 'media', 'sources', 'osmedia-build.txt'), 'utf8');
    expect(buildFile).not.toMatch(/\bnull\b/);
    const manifest = JSON.stringify(await readJson(path.join(workspace, 'osmedia-manifest.json')));
    expect(manifest).not.toMatch(/"null"/);
  });

  it('a required key given as null is reported as missing, with exit 2', async () => {
    const workspace = path.join(await tempDir(), 'ws');
    const result = await runCli(['strip-indexes', '--args-file', await argsFile({ workspace, keep: null })]);
    expect(result.exitCode).toBe(2);
    // Named as missing (the wording of that error is issue 17.9's), never as a bad "null".
    expect(result.stderr).toMatch(/keep/);
    expect(result.stderr).not.toMatch(/null/);
  });
});
