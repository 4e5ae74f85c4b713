// Classification and planning on real update packages (CABs by gcab, MSUs in both layouts) and on
// manifests of real imported media. The expected plans are written out step by step from
// Microsoft's table; any change to the order fails here.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SevenZip } from '../../src/imaging/sevenzip.ts';
import type { Manifest } from '../../src/media/manifest.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { buildSampleUpdates, packageCab, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { stripIndexes } from '../../src/steps/strip-indexes.ts';
import { classifyPackage, type UpdatePackage } from '../../src/updates/classify.ts';
import { checkPins, classifyUpdates, collectUpdateFiles, parseSha256Sums } from '../../src/updates/inputs.ts';
import { decodeMum, parseMum } from '../../src/updates/mum.ts';
import { describeOperation, formatPlan, planServicing, type ServicingPlan } from '../../src/updates/plan.ts';
import { readPackage } from '../../src/updates/read.ts';
import { MediaError } from '../../src/util/errors.ts';
import { readJson, sampleMedia, tempDir, testContext } from '../helpers.ts';

let updates: SampleUpdates;
let manifest: Manifest;
const sevenZip = new SevenZip();

beforeAll(async () => {
  updates = await buildSampleUpdates({ dir: path.join(await tempDir(), 'updates') });
  const sample = await sampleMedia();
  const workspace = path.join(await tempDir(), 'ws');
  await runStep(importMedia, { source: sample.mediaDir }, testContext(workspace), 'test');
  await runStep(stripIndexes, { keep: ['Enterprise', 'Education'] }, testContext(workspace), 'test');
  manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
});

async function classified() {
  const { files } = await collectUpdateFiles({ from: updates.dir });
  const hashes = await checkPins(files);
  return classifyUpdates(sevenZip, files, hashes, { architecture: 'x64', build: 26100 }, await tempDir());
}

/** Each target as "target: op; op; …" so a whole plan compares in one readable expectation. */
function steps(plan: ServicingPlan): Record<string, string[]> {
  return Object.fromEntries(plan.targets.map((t) => [t.target, t.operations.map(describeOperation)]));
}
function skips(plan: ServicingPlan): Record<string, string[]> {
  return Object.fromEntries(plan.targets.map((t) => [t.target, t.skipped.map((s) => `${s.kb}: ${s.reason}`)]));
}
const withVersions = (m: Manifest, install: string, boot: string): Manifest => ({
  ...m,
  installWim: { ...m.installWim, images: m.installWim.images.map((i) => ({ ...i, version: install })) },
  bootWim: { ...m.bootWim!, images: m.bootWim!.images.map((i) => ({ ...i, version: boot })) },
});

describe('update.mum', () => {
  it("reads the identity, KB and parent of a manifest in Microsoft's format (UTF-8 with BOM)", () => {
    const text =
      '\uFEFF<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" description="Fix for KB5044284"><assemblyIdentity name="Package_for_RollupFix" version="26100.2033.1.10" language="neutral" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" buildType="release" /><package identifier="KB5044284" releaseType="Update"><parent buildCompare="EQ"><assemblyIdentity name="Microsoft-Windows-Foundation-Package" version="10.0.26100.1" language="neutral" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" /></parent></package></assembly>';
    const parsed = parseMum(decodeMum(Buffer.from(text, 'utf8')));
    expect(parsed).toMatchObject({
      kb: 'KB5044284',
      releaseType: 'Update',
      identity: { name: 'Package_for_RollupFix', version: '26100.2033.1.10', processorArchitecture: 'amd64' },
      parent: { version: '10.0.26100.1' },
    });
    expect(parseMum(decodeMum(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(1), 'utf16le')]))).kb).toBe('KB5044284');
    expect(() => parseMum('<html/>')).toThrow(/not a package manifest/);
  });
});

describe('classification by content', () => {
  it('reads update.mum in a CAB, in the CABs of an MSU, and in the WIM of a Windows 11 MSU', async () => {
    const work = await tempDir();
    const lcu = await readPackage(sevenZip, updates.files.lcu, path.join(work, 'a'));
    expect(lcu.layout).toBe('msu-wim');
    expect(lcu.entries).toEqual(
      expect.arrayContaining([
        'Windows11.0-KB5046617-x64.wim',
        'Windows11.0-KB5046617-x64.psf',
        'SSU-26100.2308-x64.cab',
        'DesktopDeployment.cab',
        'wsusscan.cab',
      ]),
    );
    expect(lcu.manifests.map((m) => m.entry).sort()).toEqual(['SSU-26100.2308-x64.cab/update.mum', 'Windows11.0-KB5046617-x64.wim/update.mum']);
    const checkpoint = await readPackage(sevenZip, updates.files.checkpoint2, path.join(work, 'b'));
    expect(checkpoint.layout).toBe('msu-cabs');
    expect(checkpoint.manifests.map((m) => m.manifest.identity.name).sort()).toEqual(['Package_for_RollupFix', 'Package_for_ServicingStack_2031']);
    const safeOs = await readPackage(sevenZip, updates.files.safeOs, path.join(work, 'c'));
    expect(safeOs.layout).toBe('cab');
  });

  it('classifies a month of updates exactly, and rejects what cannot service this media, naming file and reason', async () => {
    const { packages, rejections } = await classified();
    const byName = Object.fromEntries(
      packages.map((p) => [
        p.fileName,
        `${p.kind} ${p.kb} ${p.build ?? '-'}.${p.revision ?? '-'} ${p.architecture} ${p.format}${p.ssu ? ` ssu=${p.ssu.build}.${p.ssu.revision} in ${p.ssu.entry}` : ''}`,
      ]),
    );
    expect(byName).toEqual({
      'windows11.0-kb5046617-x64_2314.msu': 'lcu KB5046617 26100.2314 x64 msu-wim ssu=26100.2308 in SSU-26100.2308-x64.cab',
      'windows11.0-kb5043080-x64_1742.msu': 'lcu KB5043080 26100.1742 x64 msu-wim ssu=26100.1738 in SSU-26100.1738-x64.cab',
      'windows11.0-kb5044284-x64_2033.msu': 'lcu KB5044284 26100.2033 x64 msu-cabs ssu=26100.2031 in SSU-26100.2031-x64.cab',
      'windows11.0-kb5046620-x64_safeos.cab': 'safe-os KB5046620 26100.2305 x64 cab',
      'windows11.0-kb5046619-x64_setup.cab': 'setup KB5046619 -.- x64 unknown',
      'windows11.0-kb5045934-x64-ndp481_dotnet.msu': 'dotnet KB5045934 26100.- x64 msu-cabs',
    });
    expect(packages.find((p) => p.kind === 'lcu' && p.kb === 'KB5046617')!.identity).toBe('Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7');
    expect(Object.fromEntries(rejections.map((r) => [r.fileName, r.reason]))).toEqual({
      'windows11.0-kb5046617-x64-express.cab': expect.stringMatching(
        /^an online-only express payload .*cannot service an offline image; download the full MSU/,
      ),
      'windows11.0-kb5046617-arm64_arm.cab': 'a package for arm64 (Package_for_RollupFix 26100.2314.1.7); this media is x64',
      'contoso-storage-driver.cab': 'not an update package: it has no update.mum and no Windows Setup files',
      'microsoft-windows-fodmetadataservicing-desktop-metadata-package.cab': expect.stringMatching(
        /^Features on Demand metadata \(Microsoft-Windows-FodMetadataServicing-Desktop-Metadata-Package\)/,
      ),
    });
  });

  it('classifies a standalone servicing stack CAB as an SSU, planned first in every image it is newer for', async () => {
    const work = await tempDir();
    const file = path.join(work, 'windows10.0-kb5031539-x64.cab');
    await packageCab(work, file, { name: 'Package_for_ServicingStack_3570', version: '19041.3570.1.1', kb: 'KB5031539' });
    const contents = await readPackage(sevenZip, file, path.join(work, 'r'));
    const ssu = classifyPackage({ file, size: 1, sha256: 'a'.repeat(64), pinned: true }, contents, { architecture: 'x64', build: 19045 });
    expect(ssu).toMatchObject({
      kind: 'ssu',
      kb: 'KB5031539',
      build: 19041,
      revision: 3570,
      identity: 'Package_for_ServicingStack_3570~31bf3856ad364e35~amd64~~19041.3570.1.1',
    });
    const win10 = withVersions(manifest, '10.0.19045.3448', '10.0.19041.3448');
    const plan = planServicing(win10, [ssu as UpdatePackage], { cleanup: true, netfx3: false });
    expect(steps(plan)['install.wim:1']).toEqual([
      'add servicing stack 19041.3570.1.1 KB5031539',
      'component cleanup (/StartComponentCleanup)',
      'export the image (drops superseded data)',
    ]);
    expect(steps(plan)['boot.wim:2']).toEqual([
      'add servicing stack 19041.3570.1.1 KB5031539',
      'component cleanup (/StartComponentCleanup /ResetBase)',
      'export the image (drops superseded data)',
    ]);
  });

  it('rejects a package for another build, and accepts 24H2 packages for 25H2 (26200) media', async () => {
    const contents = await readPackage(sevenZip, updates.files.safeOs, await tempDir());
    const facts = { file: updates.files.safeOs, size: 1, sha256: 'x', pinned: false };
    expect(classifyPackage(facts, contents, { architecture: 'x64', build: 22631 })).toMatchObject({
      reason: 'a package for build 26100 (Package_for_SafeOSDU 26100.2305.1.0); this media is build 22631, serviced as 22621',
    });
    expect(classifyPackage(facts, contents, { architecture: 'x64', build: 26200 })).toMatchObject({ kind: 'safe-os' });
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
    await writeFile(path.join(copy.dir, 'SHA256SUMS'), `${'0'.repeat(64)}  ${path.basename(copy.files.safeOs)}\n`);
    const { files } = await collectUpdateFiles({ from: copy.dir });
    expect(files.map((f) => [path.basename(f.file), Boolean(f.pin)])).toEqual([
      [path.basename(copy.files.setupDu), false],
      [path.basename(copy.files.safeOs), true],
    ]);
    const error = await checkPins(files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toMatch(
      /^windows11\.0-kb5046620-x64_safeos\.cab does not match its SHA-256 pin \(expected 0{64}, got [0-9a-f]{64}\)$/,
    );

    await writeFile(path.join(copy.dir, 'SHA256SUMS'), `${'0'.repeat(64)}  missing.msu\n`);
    await expect(collectUpdateFiles({ from: copy.dir })).rejects.toThrow(/pins file\(s\) that are not in the folder: missing\.msu/);
  });
});

describe("planner (Microsoft's order)", () => {
  it('24H2 media with 2 kept editions: WinRE once, each install image, each boot image, then the media', async () => {
    const { packages, rejections } = await classified();
    const plan = planServicing(manifest, packages, { cleanup: true, netfx3: false }, { rejections });
    const lcu = 'add cumulative update KB5046617 26100.2314.1.7 with checkpoint(s) KB5044284';
    const image = [
      lcu,
      'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
      'component cleanup (/StartComponentCleanup)',
      'add .NET CU KB5045934 10.0.9277.1',
      'export the image (drops superseded data)',
    ];
    const boot = [lcu, 'component cleanup (/StartComponentCleanup /ResetBase)', 'export the image (drops superseded data)'];
    expect(steps(plan)).toEqual({
      winre: [
        'take Winre.wim out of install.wim index 1',
        'add servicing stack 26100.2308.1.2 (SSU-26100.2308-x64.cab from KB5046617 windows11.0-kb5046617-x64_2314.msu)',
        'add Safe OS DU KB5046620 26100.2305.1.0',
        'component cleanup (/StartComponentCleanup /ResetBase)',
        'export the image (drops superseded data)',
      ],
      'install.wim:1': image,
      'install.wim:2': image,
      'boot.wim:1': boot,
      'boot.wim:2': boot,
      media: [
        'expand Setup DU KB5046619 into sources/',
        'copy from boot.wim index 2: sources/setup.exe → sources/setup.exe; sources/setuphost.exe → sources/setuphost.exe; Windows/Boot/EFI/bootmgfw.efi → efi/boot/bootx64.efi; Windows/Boot/EFI/bootmgr.efi → bootmgr.efi; Windows/Boot/EFI/boot.stl → efi/microsoft/boot/boot.stl',
      ],
    });
    expect(plan.targets.map((t) => [t.target, t.title.split(':')[0], t.before, t.predicted])).toEqual([
      ['winre', 'WinRE (Windows/System32/Recovery/Winre.wim, taken from install.wim index 1, reused for every edition)', undefined, '10.0.26100.2305'],
      ['install.wim:1', 'install.wim index 1', '10.0.26100.1742', '10.0.26100.2314'],
      ['install.wim:2', 'install.wim index 2', '10.0.26100.1742', '10.0.26100.2314'],
      ['boot.wim:1', 'boot.wim index 1', '10.0.26100.1742', '10.0.26100.2314'],
      ['boot.wim:2', 'boot.wim index 2', '10.0.26100.1742', '10.0.26100.2314'],
      ['media', 'media (sources/ and boot files)', undefined, undefined],
    ]);
    expect(plan.targets[1]!.title).toBe('install.wim index 1: Windows 11 Education');
    expect(skips(plan)['winre']).toEqual(['KB5046617: the LCU is not applied to WinRE (Microsoft: WinRE gets the SSU and the Safe OS DU only)']);
    expect(skips(plan)['install.wim:1']).toEqual(['KB5043080: checkpoint already contained: image at 10.0.26100.1742']);
    expect(skips(plan)['boot.wim:1']).toEqual([
      'KB5043080: checkpoint left out for WinPE: it already has RollupFix 10.0.26100.1742 (adding KB5043080 would fail with 0x80073712)',
      'KB5045934: not applied to WinPE',
    ]);
    expect(plan.targets[1]!.expectPackages).toEqual([
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7',
      'Package_for_ServicingStack_2308~31bf3856ad364e35~amd64~~26100.2308.1.2',
      'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1',
    ]);
    expect(plan.needsDism).toBe(true);
    expect(plan.rejections).toHaveLength(4);
    expect(plan.unpinned).toHaveLength(6);
    const text = formatPlan(plan).join('\n');
    expect(text).toContain('install.wim index 2: Windows 11 Enterprise  10.0.26100.1742 → 10.0.26100.2314');
    expect(text).toContain('rejected contoso-storage-driver.cab: not an update package');
    expect(text).toContain('needs DISM');
  });

  it('media serviced last month: only the new updates are planned', async () => {
    const { packages } = await classified();
    const last = withVersions(manifest, '10.0.26100.2033', '10.0.26100.2033');
    const october = (target: string, kind: string, identity: string) => ({ target, kind, kb: 'KB-old', identity, file: 'old', sha256: 'old' });
    last.updates = [
      october('winre', 'safe-os', 'Package_for_SafeOSDU~31bf3856ad364e35~amd64~~26100.2150.1.0'),
      ...['install.wim:1', 'install.wim:2', 'boot.wim:1', 'boot.wim:2'].map((t) =>
        october(t, 'lcu', 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2033.1.10'),
      ),
      october('install.wim:1', 'dotnet', 'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1'),
      october('media', 'setup', 'SetupDU~KB5044000'),
    ];
    const plan = planServicing(last, packages, { cleanup: true, netfx3: false });
    const s = steps(plan);
    expect(s['install.wim:1']).toEqual([
      'add cumulative update KB5046617 26100.2314.1.7',
      'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
      'component cleanup (/StartComponentCleanup)',
      'export the image (drops superseded data)',
    ]);
    expect(s['install.wim:2']).toEqual([
      'add cumulative update KB5046617 26100.2314.1.7',
      'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
      'component cleanup (/StartComponentCleanup)',
      'add .NET CU KB5045934 10.0.9277.1',
      'export the image (drops superseded data)',
    ]);
    expect(skips(plan)['install.wim:1']).toEqual([
      'KB5043080: checkpoint already contained: image at 10.0.26100.2033',
      'KB5044284: checkpoint already contained: image at 10.0.26100.2033',
      'KB5045934: already applied (recorded in the manifest)',
    ]);
    expect(s['boot.wim:2']).toEqual([
      'add cumulative update KB5046617 26100.2314.1.7',
      'component cleanup (/StartComponentCleanup /ResetBase)',
      'export the image (drops superseded data)',
    ]);
    expect(s['winre']).toContain('add Safe OS DU KB5046620 26100.2305.1.0');
    expect(s['media']![0]).toBe('expand Setup DU KB5046619 into sources/');

    // And a month with nothing new: every image is left alone.
    const done = withVersions(manifest, '10.0.26100.2314', '10.0.26100.2314');
    const sameMonth = planServicing(
      done,
      packages.filter((p) => p.kind === 'lcu'),
      { cleanup: true, netfx3: false },
    );
    expect(sameMonth.needsDism).toBe(false);
    expect(skips(sameMonth)['winre']).toEqual([
      ": no Safe OS Dynamic Update among the updates: WinRE is left as it is (add the month's Safe OS DU to service it)",
    ]);
    expect(sameMonth.targets.every((t) => t.operations.length === 0)).toBe(true);
    expect(skips(sameMonth)['install.wim:1']![0]).toBe('KB5046617: image already at 10.0.26100.2314 (this CU brings 26100.2314)');
  });

  it('a WinPE that already has a newer RollupFix leaves out KB5043080; the older install images still get it', async () => {
    const { packages } = await classified();
    const plan = planServicing(withVersions(manifest, '10.0.26100.1150', '10.0.26100.2000'), packages, { cleanup: true, netfx3: true });
    const s = steps(plan);
    expect(s['install.wim:1']).toEqual([
      'add cumulative update KB5046617 26100.2314.1.7 with checkpoint(s) KB5043080, KB5044284',
      'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
      'component cleanup (/StartComponentCleanup)',
      'enable .NET Framework 3.5 (NetFx3) from sources/sxs',
      'add .NET CU KB5045934 10.0.9277.1',
      'export the image (drops superseded data)',
    ]);
    expect(s['boot.wim:1']![0]).toBe('add cumulative update KB5046617 26100.2314.1.7 with checkpoint(s) KB5044284');
    expect(skips(plan)['boot.wim:1']![0]).toBe(
      'KB5043080: checkpoint left out for WinPE: it already has RollupFix 10.0.26100.2000 (adding KB5043080 would fail with 0x80073712)',
    );
    expect(plan.targets.find((t) => t.target === 'boot.wim:2')!.predicted).toBe('10.0.26100.2314');
  });

  it('a Setup-DU-only plan needs no DISM', async () => {
    const { packages } = await classified();
    const plan = planServicing(
      manifest,
      packages.filter((p) => p.kind === 'setup'),
      { cleanup: true, netfx3: false },
    );
    expect(plan.needsDism).toBe(false);
    expect(plan.targets.filter((t) => t.operations.length > 0).map((t) => t.target)).toEqual(['media']);
  });
});
