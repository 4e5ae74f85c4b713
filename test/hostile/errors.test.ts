// Raw system errors reaching the user (issue 16.13), provoked for real through the CLI: each one
// must come in the osmedia form (what failed, the path, the fix), with no errno text or stack.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../src/util/errors.ts';
import { makeUnwritable, runCli, sampleMedia, tempDir } from '../helpers.ts';

let ws: string;
let iso: string;

beforeAll(async () => {
  iso = (await sampleMedia()).isoPath!;
  ws = path.join(await tempDir(), 'ws');
  expect((await runCli(['import-media', '--source', iso, '--workspace', ws])).exitCode).toBe(0);
});

/** No raw Node text ("EEXIST: file already exists, mkdir '…'") and no stack frame. */
function expectOsmediaForm(stderr: string) {
  expect(stderr).not.toMatch(/\b[A-Z]{4,}: [a-z][^\n]*, (open|mkdir|rename|scandir|stat|unlink) '/);
  expect(stderr).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);
  expect(stderr).toMatch(/^fix: /m);
}

describe('system errors get the osmedia form (16.13)', () => {
  it('--result-file below a file (EEXIST from mkdir)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    const result = await runCli(['inspect', iso, '--result-file', path.join(file, 'result.json')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `error: Could not create the folder ${file}: something is already there (often a file where osmedia needs a folder) (EEXIST)`,
    );
    expect(result.stderr).toContain('fix: Remove or rename what is in the way, or choose another path.');
    expectOsmediaForm(result.stderr);
  });

  it('sample --out below a file (ENOTDIR from mkdir)', async () => {
    const file = path.join(await tempDir(), 'a-file');
    await writeFile(file, 'x');
    const result = await runCli(['sample', '--out', path.join(file, 'media')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Could not create the folder ${path.join(file, 'media')}: a part of the path is a file, not a folder (ENOTDIR)`);
    expect(result.stderr).toContain('fix: Correct the path: every part but the last must be a folder.');
    expectOsmediaForm(result.stderr);
  });

  it('--junit naming a folder (EISDIR from rename)', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'reports'));
    const result = await runCli(['inspect', iso, '--junit', path.join(dir, 'reports')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`error: Could not write ${path.join(dir, 'reports')}: it is a folder, where a file is needed (EISDIR)`);
    expect(result.stderr).toContain('fix: Name a file (for example report.xml inside that folder), not the folder itself.');
    expectOsmediaForm(result.stderr);
  });

  it('a media folder that refuses writes (EACCES, or EPERM as root with chattr +i)', async (ctx) => {
    const sources = path.join(ws, 'media', 'sources');
    const undo = await makeUnwritable(sources);
    if (!undo) ctx.skip(); // neither mode bits nor chattr can make a folder refuse writes here
    try {
      const result = await runCli(['stamp-build-file', '--workspace', ws, '--revision', 'r1']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `error: Could not write ${path.join(sources, 'osmedia-build.txt').replaceAll('/', '\\/')}: (permission denied|the operation is not permitted.*) \\((EACCES|EPERM)\\)`,
        ),
      );
      expectOsmediaForm(result.stderr);
    } finally {
      await undo!();
    }
  });

  it('EIO, ENOENT and an unknown code are described the same way', () => {
    const eio = Object.assign(new Error("EIO: i/o error, read '/mnt/share/x.msu'"), { code: 'EIO', syscall: 'read', path: '/mnt/share/x.msu', errno: -5 });
    expect(describeError(eio)).toEqual({
      type: 'SystemError',
      message: 'Could not read /mnt/share/x.msu: the disk or share reported an input/output error (EIO)',
      fix: 'Check the disk or the network share (a dropped SMB connection, a failing disk), then run again; an interrupted workspace is recovered on the next run.',
    });
    const odd = Object.assign(new Error("EXDEV: cross-device link not permitted, link '/a' -> '/b'"), {
      code: 'EXDEV',
      syscall: 'link',
      path: '/a',
      dest: '/b',
    });
    expect(describeError(odd).message).toBe('Could not link /a: cross-device link not permitted (EXDEV)');
  });
});
