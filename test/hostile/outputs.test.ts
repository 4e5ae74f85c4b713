// Output paths and values that a recipe (or a flag) controls (issue 16, items 11 and 12), performed
// through the CLI: a task sequence folder outside the workspace or through a planted link, a build
// file path with a drive letter, and a revision with a newline that would forge build-file lines.
import { readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderBuildText, type BuildInfo } from '../../src/media/build-info.ts';
import { runCli, sampleMedia, tempDir } from '../helpers.ts';

let ws: string;
let iso: string;

beforeAll(async () => {
  const sample = await sampleMedia();
  iso = sample.isoPath!;
  ws = path.join(await tempDir(), 'ws');
  expect((await runCli(['import-media', '--source', iso, '--workspace', ws])).exitCode).toBe(0);
});

describe('taskSequence.out and other recipe output paths stay inside the folders the recipe allows (16.11)', () => {
  const refused: [string, RegExp][] = [
    ['../../escape', /taskSequence\.out: a folder relative to the workspace, not a "\.\." component/],
    ['/tmp/osmedia-ts-escape', /taskSequence\.out: a folder relative to the workspace, not an absolute path/],
    ['C:\\Windows\\Temp', /taskSequence\.out: a folder relative to the workspace, not a drive letter/],
    ['ts\\..\\..\\escape', /taskSequence\.out: a folder relative to the workspace, not a "\.\." component/],
    ['media/ts', /taskSequence\.out: a folder of its own in the workspace, not media\/ or \.osmedia\//],
  ];
  for (const [out, message] of refused) {
    it(`a recipe with taskSequence.out ${JSON.stringify(out)} is refused by name, before any step`, async () => {
      const dir = await tempDir();
      const recipe = path.join(dir, 'osmedia.yml');
      await writeFile(recipe, `media:\n  source: '${iso}'\n  keep: [Enterprise]\ntaskSequence:\n  edition: Enterprise\n  out: '${out}'\n`);
      const result = await runCli(['run', '--recipe', recipe, '--workspace', path.join(dir, 'ws')]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await readdir(dir)).toEqual(['osmedia.yml']);
    });
  }

  it('the same rule holds for the --out flag of generate-task-sequence', async () => {
    const result = await runCli(['generate-task-sequence', '--workspace', ws, '--edition', 'Enterprise', '--out', '../escape']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/out: a folder relative to the workspace, not a "\.\." component/);
    expect(await readdir(path.dirname(ws))).toEqual(['ws']);
  });

  it('a link planted as the task sequence folder is refused, naming it; nothing is written where it points', async () => {
    const outside = await tempDir();
    await symlink(outside, path.join(ws, 'ts-linked'));
    const result = await runCli(['generate-task-sequence', '--workspace', ws, '--edition', 'Enterprise', '--out', 'ts-linked']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('error: Refusing to write ts-linked/');
    expect(result.stderr).toContain('ts-linked in the workspace is a link, and osmedia never writes through one');
    expect(await readdir(outside)).toEqual([]);
    // A plain folder of the workspace is fine.
    const fine = await runCli(['generate-task-sequence', '--workspace', ws, '--edition', 'Enterprise', '--out', 'out/ts']);
    expect(fine.exitCode, fine.stderr).toBe(0);
    expect((await readdir(path.join(ws, 'out', 'ts'))).length).toBeGreaterThan(0);
  });

  it('stamp.file with a drive letter or a name Windows cannot hold is refused by name', async () => {
    for (const [file, message] of [
      ['C:sources/build.txt', /stamp\.file: a path relative to the media root, not a drive letter/],
      ['sources/con.txt', /stamp\.file: a path relative to the media root, not a part Windows cannot hold as a file name \("con\.txt"\)/],
    ] as const) {
      const dir = await tempDir();
      const recipe = path.join(dir, 'osmedia.yml');
      await writeFile(recipe, `media:\n  source: '${iso}'\nstamp:\n  file: '${file}'\n`);
      const result = await runCli(['run', '--recipe', recipe, '--workspace', path.join(dir, 'ws')]);
      expect(result.exitCode, file).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('the build file cannot be given forged lines (16.12)', () => {
  it('a --revision with a newline is refused by name, and the media keeps its build file as it was', async () => {
    const forged = 'r1\r\nOS build:         10.0.26100.9999';
    const result = await runCli(['stamp-build-file', '--workspace', ws, '--revision', forged]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/revision: a revision is one line: no newline or other control character/);
  });

  it('a recipe stamp.revision with a newline is refused the same way', async () => {
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, `media:\n  source: '${iso}'\nstamp:\n  revision: "abc\\nOS build: 10.0.26100.9999"\n`);
    const result = await runCli(['run', '--recipe', recipe, '--workspace', path.join(dir, 'ws')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/stamp\.revision: a revision is one line/);
  });

  it('values that come from the media itself (an image name, the volume label) are escaped onto one line', async () => {
    const info: BuildInfo = {
      osmediaVersion: '1.0.0',
      stampedAt: '2026-11-10T18:00:00.000Z',
      build: '10.0.26100.2314',
      editions: [{ index: 1, name: 'Windows 11 Enterprise\r\nOS build:         10.0.26100.9999', editionId: 'Enterprise', version: '10.0.26100.2314' }],
      architecture: 'x64',
      languages: ['en-US'],
      bootManager: 'Windows UEFI CA 2023',
      bootManagerCa: 'uefi-ca-2023',
      volumeLabel: 'CCCOMA\u2028Source SHA-256: 0000',
      source: { path: 'x.iso', kind: 'iso', sha256: 'ab' },
      recipeRevision: 'r1',
      updates: [{ kb: 'KB1\nRecipe revision: forged', kind: 'lcu', target: 'install.wim:1' }],
    };
    const text = renderBuildText(info);
    const lines = text.split('\r\n');
    expect(lines.filter((l) => l.startsWith('OS build:'))).toEqual(['OS build:         10.0.26100.2314']);
    expect(lines.filter((l) => /^(Recipe revision|Source SHA-256):/.test(l))).toEqual(['Source SHA-256:   ab', 'Recipe revision:  r1']);
    expect(text).toContain('  1: Windows 11 Enterprise\\x0d\\x0aOS build:         10.0.26100.9999 [Enterprise] 10.0.26100.2314');
    expect(text).toContain('Volume label:     CCCOMA\\u2028Source SHA-256: 0000');
    expect(text.split('\n')).toHaveLength(text.split('\r\n').length); // no bare LF anywhere
  });
});
