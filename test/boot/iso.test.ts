// build-iso, read back: El Torito entries as Microsoft's media have them (our own catalog reader and
// xorriso's report), the boot images themselves, the files and long Unicode names in the Joliet tree
// (what Windows reads), the imported volume label; the 2023 boot manager on request with the
// workspace unchanged; errors; a SIGKILL leaves no ISO; oscdimg's command line through a stand-in.
import { execFile } from 'node:child_process';
import { appendFile, chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSampleMedia } from '../../src/sample/sample-media.ts';
import { exists, listTree } from '../../src/util/fs.ts';
import { readJson, runCli, snapshot, tempDir } from '../helpers.ts';
import { readBootImage, readIso } from './iso-reader.ts';

const run = promisify(execFile);
const LONG_NAME = 'sources/Ünïcødé — a long file name that an 8.3 reader could never show.txt';
let ws: string;
let mediaFiles: string[];

beforeAll(async () => {
  const dir = await tempDir();
  const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), iso: false });
  await writeFile(path.join(sample.mediaDir, ...LONG_NAME.split('/')), 'long Unicode name\r\n');
  // An ISO with Microsoft's label, as the sample makes it (UDF + Joliet), so the workspace records the label.
  const source = path.join(dir, 'source.iso');
  await run('genisoimage', [
    '-quiet',
    '-udf',
    '-iso-level',
    '3',
    '-J',
    '-joliet-long',
    '-allow-limited-size',
    '-V',
    'CCCOMA_X64FRE_EN-US_DV9',
    '-o',
    source,
    sample.mediaDir,
  ]);
  ws = path.join(dir, 'ws');
  const imported = await runCli(['import-media', '--source', source, '--workspace', ws]);
  expect(imported.exitCode, imported.stderr).toBe(0);
  mediaFiles = (await listTree(path.join(ws, 'media'))).map((f) => f.path);
});

const mediaPath = (p: string) => path.join(ws, 'media', ...p.split('/'));

describe('build-iso (xorriso)', () => {
  it("writes Microsoft's El Torito layout, the imported label and every file under its Joliet name", async () => {
    const out = path.join(await tempDir(), 'Win11.iso');
    const result = await runCli(['build-iso', '--workspace', ws, '--output', out, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json().summary).toMatchObject({ tool: 'xorriso', efiImage: 'efi/microsoft/boot/efisys.bin', label: 'CCCOMA_X64FRE_EN-US_DV9' });
    const iso = await readIso(out);
    try {
      // ISO 9660 holds the whole label (32 characters); Joliet's identifier holds 16 UCS-2 characters of it.
      expect(iso.volumeId).toBe('CCCOMA_X64FRE_EN-US_DV9');
      expect(iso.jolietVolumeId).toBe('CCCOMA_X64FRE_EN');
      // Entry 1 BIOS (platform 0), no emulation, 8 sectors; entry 2 UEFI (platform 0xEF), no emulation.
      expect(iso.boot.map((b) => [b.platform, b.noEmulation])).toEqual([
        [0x00, true],
        [0xef, true],
      ]);
      expect(iso.boot[0]!.sectorCount).toBe(8);
      expect(await readBootImage(out, iso.boot[0]!, 4096)).toEqual(await readFile(mediaPath('boot/etfsboot.com')));
      expect(await readBootImage(out, iso.boot[1]!, 1_474_560)).toEqual(await readFile(mediaPath('efi/microsoft/boot/efisys.bin')));
      expect([...iso.files.keys()].sort()).toEqual([...mediaFiles].sort());
      expect(iso.files.get(LONG_NAME)?.size).toBe('long Unicode name\r\n'.length);
    } finally {
      await iso.close();
    }
    const report = (await run('xorriso', ['-indev', out, '-report_el_torito', 'plain'])).stdout;
    expect(report).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+8\s/);
    expect(report).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y\s+none/);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/boot\/etfsboot\.com/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/efi\/microsoft\/boot\/efisys\.bin/);
  });

  it('--boot-manager 2023 boots efisys_EX.bin and carries bootmgfw_EX.efi as bootx64.efi; the workspace is unchanged', async () => {
    const before = await snapshot(path.join(ws, 'media'));
    const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
    const out = path.join(await tempDir(), 'Win11-2023.iso');
    const result = await runCli(['build-iso', '--workspace', ws, '--output', out, '--boot-manager', '2023', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json().summary).toMatchObject({ efiImage: 'efi/microsoft/boot/efisys_EX.bin', bootManager: 'Windows UEFI CA 2023' });
    const iso = await readIso(out);
    try {
      const efi = await readBootImage(out, iso.boot[1]!, 1_474_560);
      expect(efi.subarray(43, 54).toString('latin1')).toBe('EFISYS2023 ');
      expect(await readBootImage(out, iso.boot[0]!, 4096)).toEqual(await readFile(mediaPath('boot/etfsboot.com')));
      const bootx64 = iso.files.get('efi/boot/bootx64.efi')!;
      const bytes = await iso.readTail('efi/boot/bootx64.efi', bootx64.size);
      expect(bytes.toString('latin1')).toContain('bootmgfw_EX.efi');
      expect(iso.files.has('efi/microsoft/boot/boot.stl')).toBe(true);
      expect(iso.files.has('efi/microsoft/boot/fonts/wgl4_boot.ttf')).toBe(true);
    } finally {
      await iso.close();
    }
    expect(await snapshot(path.join(ws, 'media'))).toBe(before);
    // The media and their record are as they were; the history notes the ISO (an external step).
    const after = await readJson(path.join(ws, 'osmedia-manifest.json'));
    expect({ files: after.files, fingerprint: after.fingerprint }).toEqual({ files: manifest.files, fingerprint: manifest.fingerprint });
    expect(after.history.at(-1)).toMatchObject({ step: 'build-iso', effect: 'external', result: 'succeeded' });
  });

  it('a SIGKILL while writing leaves no ISO at the output; a re-run writes it whole', async () => {
    const out = path.join(await tempDir(), 'killed.iso');
    const killed = await runCli(['build-iso', '--workspace', ws, '--output', out], { env: { OSMEDIA_FAULT_POINT: 'iso-written' } });
    expect(killed.exitCode).not.toBe(0);
    await expect(stat(out)).rejects.toThrow();
    const again = await runCli(['build-iso', '--workspace', ws, '--output', out]);
    expect(again.exitCode, again.stderr).toBe(0);
    const iso = await readIso(out);
    expect(iso.files.size).toBe(mediaFiles.length);
    await iso.close();
    const partials = (await readdir(path.dirname(out))).filter((n) => n.includes('partial'));
    expect(partials).toEqual([]);
  });

  it('a missing efisys.bin is an error naming it, and no ISO is written', async () => {
    const dir = await tempDir();
    const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), iso: false, editions: undefined });
    await rm(path.join(sample.mediaDir, 'efi', 'microsoft', 'boot', 'efisys.bin'));
    const broken = path.join(dir, 'ws');
    expect((await runCli(['import-media', '--source', sample.mediaDir, '--workspace', broken])).exitCode).toBe(0);
    const out = path.join(dir, 'broken.iso');
    const result = await runCli(['build-iso', '--workspace', broken, '--output', out]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/The media have no efi\/microsoft\/boot\/efisys\.bin: the UEFI boot image/);
    await expect(stat(out)).rejects.toThrow();
  });
});

describe('build-iso in a recipe', () => {
  it('iso: writes the ISO after stamping, with media.bootManager; an unchanged re-run skips it too (no gigabytes rewritten); a changed ISO or --force writes it again', async () => {
    const dir = await tempDir();
    const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), editions: undefined });
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(
      recipe,
      `workspace: work\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\n  bootManager: '2023'\nstamp:\n  revision: test\niso:\n  output: out/Win11.iso\n`,
    );
    // out/ does not exist yet: the ISO's folder is created.
    const first = await runCli(['run', '--recipe', recipe, '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const iso = await readIso(path.join(dir, 'out', 'Win11.iso'));
    expect(iso.files.has('sources/osmedia-build.txt')).toBe(true);
    expect(iso.files.has('efi/boot/bootx64.efi')).toBe(true);
    await iso.close();
    const second = await runCli(['run', '--recipe', recipe, '--json']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json().steps.map((s: { step: string; result: string }) => `${s.step} ${s.result}`)).toEqual([
      'import-media skipped',
      'strip-indexes skipped',
      'stamp-build-file skipped',
      'build-iso skipped',
    ]);
    expect(second.json().steps.at(-1).message).toMatch(/up to date/);
    // The ISO changed on disk since it was written (another size): it is written again, from the media.
    await appendFile(path.join(dir, 'out', 'Win11.iso'), 'x');
    const third = await runCli(['run', '--recipe', recipe, '--json']);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(third.json().steps.at(-1)).toMatchObject({ step: 'build-iso', result: 'succeeded' });
    expect(third.json().steps.at(-1).summary).toMatchObject({ efiImage: 'efi/microsoft/boot/efisys_EX.bin', bootManager: 'Windows UEFI CA 2023' });
  });

  it('plan is red for an ISO tool that cannot be used or an output under a file, before any step runs', async () => {
    const dir = await tempDir();
    const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), editions: undefined });
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(path.join(dir, 'afile'), 'not a folder');
    await writeFile(recipe, `workspace: work\nmedia:\n  source: ${sample.isoPath}\niso:\n  output: afile/Win11.iso\n`);
    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr + plan.stdout).toMatch(/afile is a file, not a folder/);
    await writeFile(recipe, `workspace: work\nmedia:\n  source: ${sample.isoPath}\niso:\n  output: Win11.iso\n`);
    const bogus = await runCli(['run', '--recipe', recipe], { env: { OSMEDIA_ISO_TOOL: 'bogus' } });
    expect(bogus.exitCode).toBe(2);
    expect(bogus.stderr).toMatch(/OSMEDIA_ISO_TOOL is "bogus"/);
    expect(await exists(path.join(dir, 'work', 'media'))).toBe(false); // nothing imported: the run stopped before its first step
  });
});

describe('build-iso (oscdimg, Windows)', () => {
  it('calls oscdimg as Make2023BootableMedia.ps1 does (recorded stand-in)', async () => {
    const dir = await tempDir();
    const record = path.join(dir, 'argv.json');
    const standIn = path.join(dir, 'oscdimg');
    // Records its argv and writes the ISO file it was asked for (the last argument), as oscdimg does.
    await writeFile(standIn, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nfor last; do :; done\nprintf 'ISO' > "$last"\n`);
    await chmod(standIn, 0o755);
    const out = path.join(dir, 'Win11.iso');
    const result = await runCli(['build-iso', '--workspace', ws, '--output', out, '--boot-manager', '2023', '--json'], {
      env: { OSMEDIA_ISO_TOOL: 'oscdimg', OSMEDIA_OSCDIMG: standIn },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const argv = (await readFile(record, 'utf8')).trimEnd().split('\n');
    const root = argv[5]!;
    expect(argv).toEqual([
      '-lCCCOMA_X64FRE_EN-US_DV9',
      `-bootdata:2#p0,e,b${path.win32.join(root, 'boot', 'etfsboot.com')}#pEF,e,b${path.win32.join(root, 'efi', 'microsoft', 'boot', 'efisys_EX.bin')}`,
      '-u2',
      '-udfver102',
      '-o',
      root,
      path.join(dir, '.Win11.iso.osmedia-partial'),
    ]);
    expect(await readFile(out, 'utf8')).toBe('ISO');
    expect(result.json().summary.tool).toBe('oscdimg');
    expect(await readJson(path.join(ws, 'osmedia-manifest.json'))).toBeTruthy();
  });
});
