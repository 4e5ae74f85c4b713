// A decompression bomb (issue 16.6), for real: a 450 KB "Setup DU" (gcab, MSZIP) that expands to
// 256 MiB, against a workspace on a small tmpfs mounted for the test (root only). The step must
// refuse before expanding, with a message about free space, and leave the disk as it found it.
import { peFile } from '../../src/sample/pe-file.ts';
import { execa } from 'execa';
import { mkdir, readFile, readdir, statfs, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SevenZip } from '../../src/imaging/sevenzip.ts';
import { runTool } from '../../src/util/exec.ts';
import { safeExtract } from '../../src/util/safe-extract.ts';
import { rawCab, rawTar } from './raw-cab.ts';
import { readJson, runCli, sampleMedia, snapshot, tempDir } from '../helpers.ts';

const SETUP_DU = 'windows11.0-kb5046619-x64_setup.cab';
const BOMB_BYTES = 256 * 1024 * 1024;
const isRoot = process.getuid?.() === 0;
let mountPoint: string | undefined;
let bombDir: string;
let msuBombDir: string;

beforeAll(async () => {
  const src = path.join(await tempDir(), 'bomb');
  await mkdir(path.join(src, 'sxs'), { recursive: true });
  // Setup binaries with real PE version resources, as a genuine Setup DU carries (apply-updates reads them to check the release).
  await writeFile(path.join(src, 'setuphost.exe'), peFile({ version: '10.0.26100.2314', fileName: 'setuphost.exe' }));
  await writeFile(path.join(src, 'appraiserres.dll'), peFile({ version: '10.0.26100.2314', fileName: 'appraiserres.dll' }));
  await writeFile(path.join(src, 'sxs', 'zeros.bin'), '');
  await truncate(path.join(src, 'sxs', 'zeros.bin'), BOMB_BYTES); // sparse: costs no disk here
  bombDir = await tempDir();
  await runTool(
    { tool: 'gcab', file: 'gcab', args: ['-c', '-z', path.join(bombDir, SETUP_DU), 'appraiserres.dll', 'setuphost.exe', 'sxs/zeros.bin'] },
    { cwd: src },
  );
  // The same inside an MSU: an inner "WIM" that osmedia writes out to read its update.mum.
  await writeFile(path.join(src, 'Windows11.0-KB5046617-x64.wim'), '');
  await truncate(path.join(src, 'Windows11.0-KB5046617-x64.wim'), BOMB_BYTES);
  await writeFile(path.join(src, 'Windows11.0-KB5046617-x64.psf'), 'placeholder');
  msuBombDir = await tempDir();
  await runTool(
    {
      tool: 'gcab',
      file: 'gcab',
      args: ['-c', '-z', path.join(msuBombDir, 'windows11.0-kb5046617-x64.msu'), 'Windows11.0-KB5046617-x64.wim', 'Windows11.0-KB5046617-x64.psf'],
    },
    { cwd: src },
  );
});

afterAll(async () => {
  if (mountPoint) await execa('umount', [mountPoint], { reject: false });
});

const free = async (dir: string) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

async function stateOf(ws: string) {
  const { history: _history, ...manifest } = await readJson(path.join(ws, 'osmedia-manifest.json'));
  return { media: await snapshot(path.join(ws, 'media')), manifest, tmp: await readdir(path.join(ws, '.osmedia', 'tmp')).catch(() => []) };
}

describe('a decompression bomb as the Setup DU (16.6)', () => {
  it.skipIf(!isRoot)('is refused before expanding on a small disk, with the free space named; the disk is left as it was', async (ctx) => {
    const sample = await sampleMedia();
    const root = await tempDir();
    const small = path.join(root, 'small');
    mountPoint = small;
    await mkdir(small);
    // Room for the workspace and some, far less than the bomb.
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', small], { reject: false });
    if (mounted.exitCode !== 0) {
      mountPoint = undefined;
      ctx.skip(); // no mount privilege in this container (root without CAP_SYS_ADMIN)
    }
    const ws = path.join(small, 'ws');
    expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
    expect((await runCli(['strip-indexes', '--workspace', ws, '--keep', 'Enterprise'])).exitCode).toBe(0);
    const freeBefore = await free(small);
    expect(freeBefore).toBeLessThan(BOMB_BYTES);
    const before = await stateOf(ws);

    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', bombDir]);
    expect(result.exitCode, result.stdout).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`error: Not enough free space to expand ${SETUP_DU}: it declares 256\\.0 MiB, the disk of .* has [\\d.]+ MiB free`),
    );
    expect(result.stderr).toContain('fix: Free space on the workspace disk');
    expect(await stateOf(ws)).toEqual(before);
    expect(await free(small)).toBe(freeBefore);

    // Reading an MSU writes its inner packages out first: that is refused the same way, at plan time.
    const msu = await runCli(['apply-updates', '--workspace', ws, '--updates', msuBombDir, '--dry-run']);
    expect(msu.stderr + msu.stdout).toMatch(/Not enough free space to expand windows11\.0-kb5046617-x64\.msu: it declares 256\.0 MiB/);
    expect(await stateOf(ws)).toEqual(before);
    expect(await free(small)).toBe(freeBefore);
  });

  it('a Setup DU that breaks half way through its expansion leaves no partial files behind', async () => {
    const sample = await sampleMedia();
    const ws = path.join(await tempDir(), 'ws');
    expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
    const before = await stateOf(ws);
    // The same CAB with garbage in the middle of its compressed data: 7-Zip lists it (the headers are
    // whole), writes the first files and part of zeros.bin, then fails.
    const broken = await tempDir();
    const bytes = Buffer.from(await readFile(path.join(bombDir, SETUP_DU)));
    bytes.fill(0xff, Math.floor(bytes.length * 0.6), Math.floor(bytes.length * 0.6) + 4096);
    await writeFile(path.join(broken, SETUP_DU), bytes);
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', broken]);
    expect(result.exitCode, result.stdout).toBe(1);
    expect(result.stderr).toMatch(/error: Extracting .*windows11\.0-kb5046619-x64_setup\.cab failed/);
    expect(await stateOf(ws)).toEqual(before); // .osmedia/tmp included: the half-expanded folder is gone
  });

  it('safeExtract itself (where the Setup DU is expanded) refuses hostile names and links, writing nothing', async () => {
    const dir = await tempDir();
    for (const [name, bytes] of [
      [
        'names.cab',
        rawCab([
          { name: 'ok.txt', data: 'x' },
          { name: 'C:\\evil.txt', data: 'e' },
        ]),
      ],
      [
        'link.cab',
        rawTar([
          { name: 'ok.txt', data: 'x' },
          { name: 'sub', data: '', symlink: '../..' },
        ]),
      ],
    ] as const) {
      const archive = path.join(dir, name);
      await writeFile(archive, bytes);
      const dest = path.join(dir, `${name}-out`);
      await expect(safeExtract(new SevenZip(), archive, dest)).rejects.toThrow(new RegExp(`${name} holds 1 entry that cannot be written safely`));
      await expect(readdir(dest)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('is refused by the cap on a disk that would hold it (OSMEDIA_MAX_EXPAND_BYTES lowers the cap for the test)', async () => {
    const sample = await sampleMedia();
    const ws = path.join(await tempDir(), 'ws');
    expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
    const before = await stateOf(ws);
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', bombDir], { env: { OSMEDIA_MAX_EXPAND_BYTES: String(64 * 1024 * 1024) } });
    expect(result.exitCode, result.stdout).toBe(1);
    expect(result.stderr).toContain(`error: ${SETUP_DU} declares 256.0 MiB of files, more than the 64.0 MiB an update package may expand to`);
    expect(await stateOf(ws)).toEqual(before);
  });
});
