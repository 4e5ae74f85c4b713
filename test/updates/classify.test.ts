// Classification by content on packages shaped like Microsoft's (CABs by gcab, MSUs that are CABs
// or WIMs, setup binaries with real PE version resources): one test per rule of issue 15, each
// asserting what the package is taken for, or why it is refused.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SevenZip } from '../../src/imaging/sevenzip.ts';
import { peFile } from '../../src/sample/pe-file.ts';
import { buildSampleUpdates, packageCab, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { classifyPackage, type Rejection, type UpdatePackage } from '../../src/updates/classify.ts';
import { checkPins, classifyUpdates, collectUpdateFiles, parseSha256Sums } from '../../src/updates/inputs.ts';
import { decodeMum, parseMum } from '../../src/updates/mum.ts';
import { readPeVersion } from '../../src/updates/pe-version.ts';
import { readPackage } from '../../src/updates/read.ts';
import { MediaError } from '../../src/util/errors.ts';
import { runTool } from '../../src/util/exec.ts';
import { tempDir } from '../helpers.ts';

let updates: SampleUpdates;
const sevenZip = new SevenZip();
const media = { architecture: 'x64', build: 26100 };

beforeAll(async () => {
  updates = await buildSampleUpdates({
    dir: path.join(await tempDir(), 'updates'),
    only: [
      ...(['lcu', 'checkpoint', 'lastMonth', 'safeOs', 'setupDu', 'dotnet', 'express', 'wrongArch', 'notUpdate', 'fodMetadata'] as const),
      ...(['hotpatch', 'enablement', 'fod', 'languagePack', 'winpeOptional', 'safeOsLegacy', 'setupDuOtherRelease', 'standaloneSsu'] as const),
    ],
  });
});

async function classify(file: string, target: Parameters<typeof classifyPackage>[2] = media): Promise<UpdatePackage | Rejection> {
  const contents = await readPackage(sevenZip, file, await tempDir());
  return classifyPackage({ file, size: 1, sha256: 'a'.repeat(64), pinned: true }, contents, target);
}

describe('update.mum', () => {
  it("reads the identity, KB, parent and creation time of a manifest in Microsoft's format (UTF-8 with BOM, UTF-16)", () => {
    const text =
      '\uFEFF<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" description="Fix for KB5044284" creationTimeStamp="2024-10-03T19:00:00Z"><assemblyIdentity name="Package_for_RollupFix" version="26100.2033.1.10" language="neutral" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" buildType="release" /><package identifier="KB5044284" releaseType="Update"><parent buildCompare="EQ"><assemblyIdentity name="Microsoft-Windows-Foundation-Package" version="10.0.26100.1" language="neutral" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" /></parent></package></assembly>';
    const parsed = parseMum(decodeMum(Buffer.from(text, 'utf8')));
    expect(parsed).toMatchObject({
      kb: 'KB5044284',
      releaseType: 'Update',
      identity: { name: 'Package_for_RollupFix', version: '26100.2033.1.10', processorArchitecture: 'amd64' },
      parent: { version: '10.0.26100.1' },
      created: '2024-10-03T19:00:00Z',
    });
    expect(parseMum(decodeMum(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(1), 'utf16le')]))).kb).toBe('KB5044284');
    expect(() => parseMum('<html/>')).toThrow(/not a package manifest/);
  });
});

describe('reading packages', () => {
  it('reads every payload of a WIM MSU (24H2), of a CAB MSU, and of a CAB', async () => {
    const work = await tempDir();
    const lcu = await readPackage(sevenZip, updates.files.lcu, path.join(work, 'a'));
    expect([lcu.type, lcu.layout]).toEqual(['wim', 'msu-wim']);
    expect(lcu.entries).toEqual(
      expect.arrayContaining([
        'Windows11.0-KB5046617-x64.wim',
        'Windows11.0-KB5046617-x64.psf',
        'SSU-26100.2308-x64.cab',
        'RCU-26100.2314-x64.cab',
        'onepackage.AggregatedMetadata.cab',
      ]),
    );
    expect(lcu.manifests.map((m) => m.entry)).toEqual([
      'RCU-26100.2314-x64.cab/update.mum',
      'SSU-26100.2308-x64.cab/update.mum',
      'Windows11.0-KB5046617-x64.wim/update.mum',
    ]);
    expect(lcu.hotpatch).toBeUndefined();
    const lastMonth = await readPackage(sevenZip, updates.files.lastMonth, path.join(work, 'b'));
    expect([lastMonth.type, lastMonth.layout]).toEqual(['Cab', 'msu-cabs']);
    expect(lastMonth.manifests.map((m) => m.manifest.identity.name).sort()).toEqual(['Package_for_RollupFix', 'Package_for_ServicingStack_2031']);
    expect((await readPackage(sevenZip, updates.files.safeOs, path.join(work, 'c'))).layout).toBe('cab');
  });

  it('streams the listing: a Setup DU of 20,000 entries keeps only the names it needs', async () => {
    const big = await buildSampleUpdates({ dir: path.join(await tempDir(), 'big'), only: ['setupDu'], setupDuEntries: 20_000 });
    const contents = await readPackage(sevenZip, big.files.setupDu, await tempDir());
    expect(contents.entryCount).toBe(20_005);
    expect(contents.entries.length).toBeLessThan(20);
    expect(contents.setupBinaries.map((b) => `${b.name} ${b.version}`)).toEqual(['setuphost.exe 10.0.26100.2314', 'SetupPlatform.dll 10.0.26100.2314']);
  });
});

describe('classification by content (issue 15)', () => {
  it("classifies the month's files exactly, and rejects what cannot service this media, naming file and reason", async () => {
    const { files } = await collectUpdateFiles({ from: updates.dir });
    const { packages, rejections } = await classifyUpdates(sevenZip, files, await checkPins(files), media, await tempDir());
    const role = (file: string) => Object.entries(updates.files).find(([, f]) => f === file)![0];
    expect(
      Object.fromEntries(
        packages.map((p) => [
          role(p.file),
          `${p.kind} ${p.kb} ${p.build ?? '-'}.${p.revision ?? '-'} ${p.format} ${p.month ?? '-'}${p.ssu ? ` ssu=${p.ssu.revision} in ${p.ssu.entry}` : ''}`,
        ]),
      ),
    ).toEqual({
      lcu: 'lcu KB5046617 26100.2314 msu-wim 2024-11 ssu=2308 in SSU-26100.2308-x64.cab',
      checkpoint: 'lcu KB5043080 26100.1742 msu-wim 2024-09 ssu=1738 in SSU-26100.1738-x64.cab',
      lastMonth: 'lcu KB5044284 26100.2033 msu-cabs 2024-10 ssu=2031 in SSU-26100.2031-x64.cab',
      safeOs: 'safe-os KB5046620 26100.2305 cab 2024-11',
      safeOsLegacy: 'safe-os KB5046621 26100.2306 cab 2024-11',
      setupDu: 'setup KB5046619 26100.- unknown 2024-11',
      dotnet: 'dotnet KB5045934 26100.- msu-cabs 2024-11',
      fod: 'fod  26100.- cab 2024-11',
      languagePack: 'language-pack  26100.- cab 2024-11',
      standaloneSsu: 'ssu KB5047621 26100.2308 cab 2024-11',
    });
    expect(Object.fromEntries(rejections.map((r) => [role(r.file), r.reason.split(/[:(]/)[0]!.trim()]))).toEqual({
      express: 'an online-only express payload',
      wrongArch: 'a package for arm64',
      notUpdate: 'not an update package',
      fodMetadata: 'Features on Demand metadata',
      hotpatch: 'a Hotpatch update',
      enablement: 'an enablement package',
      winpeOptional: 'a WinPE optional component',
      setupDuOtherRelease: 'a Setup Dynamic Update for build 22621',
    });
  });

  it('3. an LCU MSU is classified by all its payloads: an RCU (Package_for_RevisedFix) listed first does not make it something else', async () => {
    const lcu = (await classify(updates.files.lcu)) as UpdatePackage;
    expect(lcu).toMatchObject({ kind: 'lcu', kb: 'KB5046617', identity: 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7' });
    expect(lcu.payloads.map((p) => `${p.container}: ${p.role}`)).toEqual([
      'RCU-26100.2314-x64.cab: revised-fix',
      'SSU-26100.2308-x64.cab: ssu',
      'Windows11.0-KB5046617-x64.wim: lcu',
    ]);
  });

  it('4. a hotpatch is refused by name: HotpatchCompDB in its aggregated metadata; the message says to use the baseline LCU', async () => {
    const result = (await classify(updates.files.hotpatch!)) as Rejection;
    expect(result.reason).toMatch(/^a Hotpatch update \(onepackage\.AggregatedMetadata\.cab\/HotpatchCompDB_KB5046740\.cab in its aggregated metadata\)/);
    expect(result.reason).toContain('Use the baseline LCU');
  });

  it('5. an enablement package is refused by default naming the version it switches to; the opt-in accepts it', async () => {
    expect(((await classify(updates.files.enablement!)) as Rejection).reason).toMatch(
      /^an enablement package \(microsoft-windows-ge-client-server-26200-version-enablement-package\): it switches this media from build 26100 to 26200\..*updates\.enablement: true/,
    );
    expect(await classify(updates.files.enablement!, { ...media, allowEnablement: true })).toMatchObject({
      kind: 'enablement',
      enablesBuild: 26200,
      kb: 'KB5054156',
    });
  });

  it('6. Features on Demand and language packs by their release type, never "build 0"; a WinPE optional component is rejected with its reason', async () => {
    expect(await classify(updates.files.fod!)).toMatchObject({
      kind: 'fod',
      build: 26100,
      identity: 'Microsoft-Windows-Wifi-Client-Intel-Netwtw02-FOD-Package~31bf3856ad364e35~amd64~~10.0.26100.1742',
    });
    expect(await classify(updates.files.languagePack!)).toMatchObject({ kind: 'language-pack', build: 26100 });
    expect(((await classify(updates.files.winpeOptional!)) as Rejection).reason).toBe(
      'a WinPE optional component (WinPE-WMI-Package 10.0.26100.1742): osmedia does not customise boot.wim or WinRE with optional components',
    );
  });

  it('7. a Safe OS DU by content: Package_for_SafeOSDU, or WinRE component manifests; a file named "safeos" that is an LCU is an LCU', async () => {
    expect(await classify(updates.files.safeOs)).toMatchObject({ kind: 'safe-os' });
    expect(await classify(updates.files.safeOsLegacy!)).toMatchObject({ kind: 'safe-os', name: 'Package_for_KB5046621' });
    const work = await tempDir();
    const misnamed = path.join(work, 'windows11.0-kb5046617-x64_safeos.cab');
    await packageCab(work, misnamed, { name: 'Package_for_RollupFix', version: '26100.2314.1.7', kb: 'KB5046617' });
    expect(await classify(misnamed)).toMatchObject({ kind: 'lcu' });
  });

  it("8. a Setup DU's build is read from its setup binaries' PE version resources (as 7-Zip reads them too); another release is refused naming both builds", async () => {
    const binary = peFile({ version: '10.0.26100.2314', fileName: 'setuphost.exe' });
    expect(readPeVersion(binary)).toEqual({ version: '10.0.26100.2314', build: 26100, revision: 2314 });
    const file = path.join(await tempDir(), 'setuphost.exe');
    await writeFile(file, binary);
    const { stdout } = await runTool({ tool: '7-Zip', file: sevenZip['file'], args: ['l', file] });
    expect(stdout).toContain('FileVersion: 10.0.26100.2314');
    expect(() => readPeVersion(Buffer.from('MZ not really'))).toThrow(/not a PE file/);
    expect(await classify(updates.files.setupDu)).toMatchObject({ kind: 'setup', setupVersion: 'setuphost.exe 10.0.26100.2314', month: '2024-11' });
    expect(((await classify(updates.files.setupDuOtherRelease!)) as Rejection).reason).toBe(
      'a Setup Dynamic Update for build 22621 (setuphost.exe 10.0.22621.4455); this media is build 26100: download the Setup DU for this release',
    );
    expect(await classify(updates.files.setupDu, { architecture: 'x64', build: 26200 })).toMatchObject({ kind: 'setup' });
  });

  it('rejects a package for another build, and accepts 24H2 packages for 25H2 (26200) media', async () => {
    expect(await classify(updates.files.safeOs, { architecture: 'x64', build: 22631 })).toMatchObject({
      reason: 'a package for build 26100 (Package_for_SafeOSDU 26100.2305.1.0); this media is build 22631, serviced as 22621',
    });
    expect(await classify(updates.files.safeOs, { architecture: 'x64', build: 26200 })).toMatchObject({ kind: 'safe-os' });
  });

  it('classifies a standalone servicing stack CAB as an SSU', async () => {
    const work = await tempDir();
    const file = path.join(work, 'windows10.0-kb5031539-x64.cab');
    await packageCab(work, file, { name: 'Package_for_ServicingStack_3570', version: '19041.3570.1.1', kb: 'KB5031539' }, ['microsoft-windows-servicingstack']);
    expect(await classify(file, { architecture: 'x64', build: 19045 })).toMatchObject({
      kind: 'ssu',
      kb: 'KB5031539',
      build: 19041,
      revision: 3570,
      identity: 'Package_for_ServicingStack_3570~31bf3856ad364e35~amd64~~19041.3570.1.1',
    });
  });
});

describe('pins', () => {
  it('reads SHA256SUMS as sha256sum writes it (text and binary mode) and fails on a mismatch, naming the file', async () => {
    const pins = parseSha256Sums(`${'a'.repeat(64)}  one.msu\n${'B'.repeat(64)} *Two.CAB\n# comment\n`);
    expect([...pins]).toEqual([
      ['one.msu', 'a'.repeat(64)],
      ['two.cab', 'b'.repeat(64)],
    ]);
    expect(() => parseSha256Sums('abc one.msu')).toThrow(/line 1 is not/);

    const dir = await tempDir();
    const copy = await buildSampleUpdates({ dir: path.join(dir, 'u'), only: ['safeOs', 'setupDu'] });
    const safeOs = path.basename(copy.files.safeOs);
    await writeFile(path.join(copy.dir, 'SHA256SUMS'), `${'0'.repeat(64)}  ${safeOs}\n`);
    const { files } = await collectUpdateFiles({ from: copy.dir });
    expect(Object.fromEntries(files.map((f) => [path.basename(f.file), Boolean(f.pin)]))).toEqual({
      [safeOs]: true,
      [path.basename(copy.files.setupDu)]: false,
    });
    const error = await checkPins(files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toBe(
      `${safeOs} does not match its SHA-256 pin (expected ${'0'.repeat(64)}, got ${(error as MediaError).message.split('got ')[1]}`,
    );
    expect(await readFile(copy.files.safeOs)).toBeTruthy();

    await writeFile(path.join(copy.dir, 'SHA256SUMS'), `${'0'.repeat(64)}  missing.msu\n`);
    await expect(collectUpdateFiles({ from: copy.dir })).rejects.toThrow(/pins file\(s\) that are not in the folder: missing\.msu/);
  });
});
