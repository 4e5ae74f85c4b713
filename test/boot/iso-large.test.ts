// install.wim over 4 GiB in an ISO written with xorriso: ISO 9660 level 3 stores it as several
// extents (ECMA-119 6.5.1, 10.3), in the Joliet tree Windows reads too. A sparse file keeps the
// source cheap; the ISO itself is written for real (about 4 GiB), read back and removed.
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOUR_GIB, writeIso } from '../../src/media/boot/iso.ts';
import { runCli, tempDir } from '../helpers.ts';
import { readIso } from './iso-reader.ts';

describe('an install.wim of 4 GiB or more', () => {
  it('is one file of the right size in the Joliet tree, its last bytes where Windows reads them', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'media');
    await mkdir(path.join(root, 'boot'), { recursive: true });
    await mkdir(path.join(root, 'efi', 'microsoft', 'boot'), { recursive: true });
    await mkdir(path.join(root, 'sources'), { recursive: true });
    await writeFile(path.join(root, 'boot', 'etfsboot.com'), Buffer.alloc(4096, 1));
    await writeFile(path.join(root, 'efi', 'microsoft', 'boot', 'efisys.bin'), Buffer.alloc(1_474_560, 2));
    const size = FOUR_GIB + 3 * 1024 * 1024 + 17;
    const tail = Buffer.from('osmedia: the last bytes of a 4 GiB install.wim');
    const handle = await open(path.join(root, 'sources', 'install.wim'), 'w');
    await handle.truncate(size); // sparse
    await handle.write(tail, 0, tail.length, size - tail.length);
    await handle.close();
    const iso = path.join(dir, 'large.iso');
    try {
      await writeIso({ name: 'xorriso', file: 'xorriso' }, { root, output: iso, label: 'LARGE', efiImage: 'efi/microsoft/boot/efisys.bin' });
      const view = await readIso(iso);
      const wim = view.files.get('sources/install.wim')!;
      expect(wim.size).toBe(size);
      expect(wim.extents.length).toBeGreaterThan(1);
      expect(await view.readTail('sources/install.wim', tail.length)).toEqual(tail);
      await view.close();
    } finally {
      await rm(iso, { force: true });
    }
  }, 900_000); // writes 4 GiB: no time limit worth asserting on a shared machine

  it('--split-swm writes install.swm parts instead, on request', async () => {
    const dir = await tempDir();
    const sample = path.join(dir, 'sample');
    expect((await runCli(['sample', '--out', sample, '--editions', '2', '--payload-mib', '3'])).exitCode).toBe(0);
    const ws = path.join(dir, 'ws');
    expect((await runCli(['import-media', '--source', path.join(sample, 'CCCOMA_X64FRE_EN-US_DV9.iso'), '--workspace', ws])).exitCode).toBe(0);
    const out = path.join(dir, 'split.iso');
    const result = await runCli(['build-iso', '--workspace', ws, '--output', out, '--split-swm', '2']);
    expect(result.exitCode, result.stderr).toBe(0);
    const view = await readIso(out);
    const names = [...view.files.keys()];
    await view.close();
    expect(names).toContain('sources/install.swm');
    expect(names).toContain('sources/install2.swm');
    expect(names).not.toContain('sources/install.wim');
  });
});
