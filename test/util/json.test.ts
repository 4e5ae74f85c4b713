// readJson: every way a JSON file osmedia depends on can be wrong names the file, says what to do,
// and keeps the underlying error as the cause; the three readers that use it say what the file is.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readCurrent } from '../../src/distribute/published.ts';
import { readManifest } from '../../src/media/manifest.ts';
import { MediaError } from '../../src/util/errors.ts';
import { readJson, readJsonIfExists } from '../../src/util/json.ts';
import { tempDir } from '../helpers.ts';

const Schema = z.object({ version: z.string(), parts: z.array(z.number()) });
const options = { what: 'test file', fix: 'Write it again.', missingFix: 'Create it.' };

async function failure(run: () => Promise<unknown>): Promise<MediaError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaError);
  return error as MediaError;
}

describe('readJson', () => {
  it('reads a valid file, with or without the byte order mark PowerShell writes', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a.json');
    await writeFile(file, '\uFEFF{"version":"1","parts":[1,2]}');
    expect(await readJson(file, Schema, options)).toEqual({ version: '1', parts: [1, 2] });
  });

  it('names the file and keeps the cause when it is missing, not JSON, or of the wrong shape', async () => {
    const dir = await tempDir();
    const missing = await failure(() => readJson(path.join(dir, 'none.json'), Schema, options));
    expect(missing.message).toBe(`Cannot read the test file ${path.join(dir, 'none.json')} (ENOENT)`);
    expect(missing.fix).toBe('Create it.');
    expect((missing.cause as NodeJS.ErrnoException).code).toBe('ENOENT');

    const garbled = path.join(dir, 'garbled.json');
    await writeFile(garbled, '{"version": ');
    const notJson = await failure(() => readJson(garbled, Schema, options));
    expect(notJson.message).toMatch(new RegExp(`^The test file ${garbled} is not JSON \\(`));
    expect(notJson.fix).toBe('Write it again.');
    expect(notJson.cause).toBeInstanceOf(SyntaxError);

    const shaped = path.join(dir, 'shaped.json');
    await writeFile(shaped, '{"version":"1","parts":["x"]}');
    const invalid = await failure(() => readJson(shaped, Schema, options));
    expect(invalid.message).toMatch(new RegExp(`^The test file ${shaped} is not valid: parts\\.0: `));
    expect(invalid.cause).toBeInstanceOf(z.ZodError);

    expect(await readJsonIfExists(path.join(dir, 'none.json'), Schema, options)).toBeUndefined();
    await expect(readJsonIfExists(garbled, Schema, options)).rejects.toThrow(/is not JSON/);
  });

  it('is what the workspace manifest and the published pointer are read with', async () => {
    const dir = await tempDir();
    const manifest = path.join(dir, 'osmedia-manifest.json');
    await writeFile(manifest, '{"schemaVersion": 1}');
    const error = await failure(() => readManifest(manifest));
    expect(error.message).toMatch(new RegExp(`^The workspace manifest ${manifest} is not valid: `));
    expect(error.fix).toMatch(/osmedia import-media --force/);
    expect((await failure(() => readManifest(path.join(dir, 'none.json')))).fix).toMatch(/Run `osmedia import-media/);
    expect(await readCurrent(dir)).toBeUndefined();
    await writeFile(path.join(dir, 'current.json'), 'not json');
    expect((await failure(() => readCurrent(dir))).message).toMatch(/^The current-version pointer .*current\.json is not JSON/);
  });
});
