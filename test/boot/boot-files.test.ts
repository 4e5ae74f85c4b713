// The boot files on the media after apply-updates, for real on Linux (a Setup DU run: 7-Zip and
// wimlib): boot.wim index 2's boot managers and boot.stl, never downgrading a Windows UEFI CA 2023
// boot manager, the switch to it on request from index 1, and the errors when boot.wim lacks files.
// Signatures are real (osslsigncode, test CAs named like Microsoft's: test/boot/signed-pe.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootSignature } from '../../src/media/boot/authenticode.ts';
import { buildSampleMedia, type SampleOptions } from '../../src/sample/sample-media.ts';
import { buildSampleUpdates, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { hashFile } from '../../src/util/fs.ts';
import { readJson, runCli, snapshot, tempDir } from '../helpers.ts';
import { signedEfi } from './signed-pe.ts';

let setupDu: SampleUpdates;
let certs: string;
let signed: { ca2023: Buffer; ex2023: Buffer; pca2011: Buffer };

beforeAll(async () => {
  const dir = await tempDir();
  setupDu = await buildSampleUpdates({ dir: path.join(dir, 'setup'), only: ['setupDu'] });
  await writeFile(path.join(setupDu.dir, 'SHA256SUMS'), `${await hashFile(setupDu.files.setupDu)}  ${path.basename(setupDu.files.setupDu)}\n`);
  certs = path.join(dir, 'certs');
  await mkdir(certs, { recursive: true });
  signed = {
    ca2023: await signedEfi(certs, 'Windows UEFI CA 2023', 'media bootx64.efi (2023)'),
    ex2023: await signedEfi(certs, 'Windows UEFI CA 2023', 'bootmgfw_EX.efi (2023)'),
    pca2011: await signedEfi(certs, 'Microsoft Windows Production PCA 2011', 'bootmgfw.efi (2011)'),
  };
});

async function workspace(options: Omit<SampleOptions, 'dir'>): Promise<string> {
  const dir = await tempDir();
  const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), editions: undefined, ...options });
  const ws = path.join(dir, 'ws');
  const imported = await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws]);
  expect(imported.exitCode, imported.stderr).toBe(0);
  return ws;
}

const media = (ws: string, p: string) => path.join(ws, 'media', ...p.split('/'));

describe('boot files from boot.wim (apply-updates, Setup DU)', () => {
  it('copies the boot managers and boot.stl from index 2 onto 2011 media, and records the CA', async () => {
    const ws = await workspace({ files: { 'media:efi/boot/bootx64.efi': signed.pca2011, 'boot2:Windows/Boot/EFI/bootmgfw.efi': signed.pca2011 } });
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupDu.dir, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(media(ws, 'efi/boot/bootx64.efi'))).toEqual(signed.pca2011);
    expect(await readFile(media(ws, 'efi/microsoft/boot/boot.stl'), 'utf8')).toMatch(/certificate trust list/);
    const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
    expect(manifest.bootManager).toMatchObject({ file: 'efi/boot/bootx64.efi', ca: 'pca-2011' });
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain('efi/microsoft/boot/boot.stl');
  });

  it('never downgrades: media on the Windows UEFI CA 2023 boot manager keep bootx64.efi and bootmgr.efi, and the summary says so', async () => {
    const ws = await workspace({ files: { 'media:efi/boot/bootx64.efi': signed.ca2023, 'boot2:Windows/Boot/EFI/bootmgfw.efi': signed.pca2011 } });
    const bootmgr = await hashFile(media(ws, 'bootmgr.efi'));
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupDu.dir, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(media(ws, 'efi/boot/bootx64.efi'))).toEqual(signed.ca2023);
    expect(await hashFile(media(ws, 'bootmgr.efi'))).toBe(bootmgr);
    // setup.exe still comes from index 2 (verified), and boot.stl is added.
    expect(result.json().summary.verified).toEqual(['sources/setup.exe equals boot.wim index 2']);
    const mediaTarget = result.json().summary.targets.find((t: { target: string }) => t.target === 'media');
    expect(JSON.stringify(mediaTarget.skipped)).toMatch(/kept the Windows UEFI CA 2023 boot manager/);
    expect(result.json().summary.bootManager).toMatchObject({ ca: 'uefi-ca-2023' });
    const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
    expect(manifest.bootManager.ca).toBe('uefi-ca-2023');
  });

  it('--boot-manager 2023 switches to the 2023 boot files from index 1 (names without _EX), BIOS files untouched', async () => {
    const ws = await workspace({ files: { 'boot1:Windows/Boot/EFI_EX/bootmgfw_EX.efi': signed.ex2023 } });
    const etfs = await hashFile(media(ws, 'boot/etfsboot.com'));
    const efisys = await hashFile(media(ws, 'efi/microsoft/boot/efisys.bin'));
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupDu.dir, '--boot-manager', '2023', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(media(ws, 'efi/boot/bootx64.efi'))).toEqual(signed.ex2023);
    expect((await bootSignature(media(ws, 'efi/boot/bootx64.efi'))).ca).toBe('uefi-ca-2023');
    expect(await readFile(media(ws, 'bootmgr.efi'), 'latin1')).toContain('bootmgr_EX.efi');
    expect(await readFile(media(ws, 'efi/microsoft/boot/fonts/wgl4_boot.ttf'), 'utf8')).toMatch(/2023/);
    expect(await readFile(media(ws, 'efi/microsoft/boot/fonts/segmono_boot.ttf'), 'utf8')).toMatch(/2023/);
    expect((await readFile(media(ws, 'efi/microsoft/boot/efisys_EX.bin'))).subarray(43, 54).toString('latin1')).toBe('EFISYS2023 ');
    expect(await hashFile(media(ws, 'boot/etfsboot.com'))).toBe(etfs);
    expect(await hashFile(media(ws, 'efi/microsoft/boot/efisys.bin'))).toBe(efisys);
    const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
    expect(manifest.bootManager.ca).toBe('uefi-ca-2023');
    expect(manifest.history.at(-1).options.bootManager).toBe('2023');
    // The build file says which CA the media boot with.
    expect((await runCli(['stamp-build-file', '--workspace', ws, '--revision', 'test'])).exitCode).toBe(0);
    expect(await readFile(media(ws, 'sources/osmedia-build.txt'), 'utf8')).toContain('Boot manager:     Windows UEFI CA 2023 (efi/boot/bootx64.efi)\r\n');
    expect(await readJson(media(ws, 'sources/osmedia-build.json'))).toMatchObject({ bootManagerCa: 'uefi-ca-2023' });
  });

  it('stops, media unchanged, when boot.wim index 2 has no Windows/Boot/EFI/bootmgr.efi', async () => {
    const ws = await workspace({ setupBootManager: false });
    const before = await snapshot(path.join(ws, 'media'));
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupDu.dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/boot\.wim index 2 \(boot\.wim\) has no Windows\/Boot\/EFI\/bootmgr\.efi/);
    expect(result.stderr).not.toMatch(/wimlib-imagex failed/);
    expect(await snapshot(path.join(ws, 'media'))).toBe(before);
  });

  it('stops, media unchanged, when --boot-manager 2023 finds no _EX folders, naming them and the update that brings them', async () => {
    const ws = await workspace({ exBootFiles: false });
    const before = await snapshot(path.join(ws, 'media'));
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupDu.dir, '--boot-manager', '2023']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Windows\/Boot\/EFI_EX, Windows\/Boot\/FONTS_EX, Windows\/Boot\/DVD_EX/);
    expect(result.stderr).toMatch(/April 2024 cumulative update \(2024-04B\)/);
    expect(await snapshot(path.join(ws, 'media'))).toBe(before);
  });
});
