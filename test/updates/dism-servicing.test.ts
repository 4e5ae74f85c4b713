// apply-updates through the DISM path, replayed: a stand-in dism (fake-dism.mjs) answers in DISM's
// console format and does to the WIMs what DISM would (with wimlib), so the whole step runs here:
// the exact command lines in Microsoft's order, verification, failures and the journal commit.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DismEngine } from '../../src/imaging/dism.ts';
import { WimlibEngine } from '../../src/imaging/wimlib.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { buildSampleUpdates, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { applyUpdates } from '../../src/steps/apply-updates.ts';
import { DismFailure } from '../../src/updates/execute.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { stripIndexes } from '../../src/steps/strip-indexes.ts';
import { hashFile } from '../../src/util/fs.ts';
import { buildInfoFrom } from '../../src/media/build-info.ts';
import { node24, readJson, sampleMedia, snapshot, tempDir, testContext } from '../helpers.ts';

let updates: SampleUpdates;
const ids = {
  lcu: 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7',
  ssu: 'Package_for_ServicingStack_2308~31bf3856ad364e35~amd64~~26100.2308.1.2',
  safeOs: 'Package_for_SafeOSDU~31bf3856ad364e35~amd64~~26100.2305.1.0',
  dotnet: 'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1',
};

beforeAll(async () => {
  const all = await buildSampleUpdates({
    dir: path.join(await tempDir(), 'updates'),
    only: ['lcu', 'checkpoint', 'lastMonth', 'safeOs', 'setupDu', 'dotnet'],
  });
  updates = all;
});

interface Scenario {
  failOn?: { match: string[]; code: string; text: string; once?: boolean; exitCode?: number }[];
  ubr?: Record<string, number>;
  build?: Record<string, number>;
  packagesByFile?: Record<string, string[]>;
  stale?: { dir: string; wim: string; index: number; status?: string }[];
}

/** A workspace with 2 kept editions, and a stand-in dism for it. */
async function setup(scenario: Scenario = {}) {
  const sample = await sampleMedia();
  const root = await tempDir();
  const workspace = path.join(root, 'ws');
  await runStep(importMedia, { source: sample.mediaDir }, testContext(workspace), 'test');
  await runStep(stripIndexes, { keep: ['Enterprise', 'Education'] }, testContext(workspace), 'test');
  const stateFile = path.join(root, 'dism-state.json');
  const name = (f: string) => path.basename(f);
  await writeFile(
    stateFile,
    JSON.stringify({
      calls: [],
      mounts: [],
      stale: scenario.stale ?? [],
      failOn: scenario.failOn ?? [],
      ubr: scenario.ubr ?? { winre: 2305, install: 2314, boot: 2314 },
      build: scenario.build ?? {},
      packagesByFile: scenario.packagesByFile ?? {
        [name(updates.files.lcu)]: [ids.ssu, ids.lcu],
        'SSU-26100.2308-x64.cab': [ids.ssu],
        [name(updates.files.safeOs)]: [ids.safeOs],
        [name(updates.files.dotnet)]: [ids.dotnet],
      },
    }),
  );
  const dism = path.join(root, 'dism');
  await writeFile(dism, `#!/bin/sh\nexec '${node24}' '${path.join(import.meta.dirname, 'fake-dism.mjs')}' '${stateFile}' "$@"\n`);
  await chmod(dism, 0o755);
  process.env.OSMEDIA_DISM = dism;
  const calls = async () => {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { calls: string[][] };
    // Readable: the workspace as <ws>, the run folder as <run>; the per-operation /LogPath and /ScratchDir are checked once below.
    return state.calls.map((c) =>
      c
        .filter((a) => !/^\/(LogPath|ScratchDir):/.test(a))
        .map((a) =>
          a
            .replace(/\/English$/, '')
            .replaceAll(workspace, '<ws>')
            .replace(/run-\d{6,}-\d+/g, 'run')
            .replace(/\.osmedia\/tmp\/\d+-\d+-/g, '.osmedia/tmp/')
            .replace(/\.osmedia\/tmp\/inputs\/\d+\//g, '.osmedia/tmp/inputs/'),
        )
        .filter(Boolean)
        .join(' '),
    );
  };
  return { workspace, calls, stateFile };
}

const apply = (workspace: string, options: Record<string, unknown> = {}) =>
  runStep(applyUpdates, { from: updates.dir, ...options }, testContext(workspace), 'test');

describe('apply-updates with DISM (replayed)', () => {
  it("runs the whole plan: the exact DISM command lines in Microsoft's order, verified, committed", async () => {
    const { workspace, calls, stateFile } = await setup();
    const context = testContext(workspace);
    const result = await runStep(applyUpdates, { from: updates.dir }, context, 'test');
    expect(result.result).toBe('succeeded');
    // DISM's redrawn bar ("[=== 20.0% ===]\r[=== 100.0% ===]") arrives as progress events, per operation.
    const progress = context.reporter.events.flatMap((e) => (e.type === 'progress' && e.unit === 'percent' ? [`${e.phase} ${e.done}`] : []));
    expect(progress).toContain(
      'install.wim index 2: add cumulative update KB5046617 26100.2314.1.7 (its servicing stack 26100.2308.1.2 (SSU-26100.2308-x64.cab) is installed by DISM first) 100',
    );
    expect(progress).toContain('install.wim: exporting index 2 20');
    const run = '<ws>/.osmedia/scratch/run';
    const lcuPath = `${run}/packages/KB5046617-alone/${path.basename(updates.files.lcu)}`;
    // DISM reads the run's own copies of the updates, taken once and pinned (issue 16.1), never the share.
    const taken = (file: string) => `<ws>/.osmedia/tmp/inputs/${path.basename(file)}`;
    const image = (wim: string, n: number, mount: string, dotnet: boolean) => [
      `/Mount-Image /ImageFile:${run}/${wim} /Index:${n} /MountDir:${run}/mount/${mount}`,
      `/Image:${run}/mount/${mount} /Add-Package /PackagePath:${lcuPath}`,
      `/Image:${run}/mount/${mount} /Cleanup-Image /StartComponentCleanup${wim === 'boot.wim' ? ' /ResetBase' : ''}`,
      ...(dotnet ? [`/Image:${run}/mount/${mount} /Add-Package /PackagePath:${taken(updates.files.dotnet)}`] : []),
      `/Image:${run}/mount/${mount} /Get-Packages`,
      `/Unmount-Image /MountDir:${run}/mount/${mount} /Commit`,
    ];
    expect(await calls()).toEqual([
      '/Get-MountedWimInfo',
      '/Cleanup-Mountpoints',
      // WinRE once: SSU from the CU, Safe OS DU, cleanup /ResetBase, export.
      `/Mount-Image /ImageFile:${run}/winre/Winre.wim /Index:1 /MountDir:${run}/mount/winre`,
      `/Image:${run}/mount/winre /Add-Package /PackagePath:${run}/ssu/SSU-26100.2308-x64.cab`,
      `/Image:${run}/mount/winre /Add-Package /PackagePath:${taken(updates.files.safeOs)}`,
      `/Image:${run}/mount/winre /Cleanup-Image /StartComponentCleanup /ResetBase`,
      `/Image:${run}/mount/winre /Get-Packages`,
      `/Unmount-Image /MountDir:${run}/mount/winre /Commit`,
      `/Export-Image /SourceImageFile:${run}/winre/Winre.wim /SourceIndex:1 /DestinationImageFile:${run}/winre-serviced.wim /Compress:max /CheckIntegrity`,
      // install.wim, each kept image: LCU (its checkpoint beside it), WinRE, cleanup, .NET CU; then export.
      ...image('install.wim', 1, 'install-1', true),
      ...image('install.wim', 2, 'install-2', true),
      `/Export-Image /SourceImageFile:${run}/install.wim /SourceIndex:1 /DestinationImageFile:<ws>/.osmedia/tmp/install.wim /Compress:max /CheckIntegrity`,
      `/Export-Image /SourceImageFile:${run}/install.wim /SourceIndex:2 /DestinationImageFile:<ws>/.osmedia/tmp/install.wim /Compress:max /CheckIntegrity`,
      // boot.wim, each image: LCU, cleanup /ResetBase; export keeps index 2 bootable.
      ...image('boot.wim', 1, 'boot-1', false),
      ...image('boot.wim', 2, 'boot-2', false),
      `/Export-Image /SourceImageFile:${run}/boot.wim /SourceIndex:1 /DestinationImageFile:<ws>/.osmedia/tmp/boot.wim /Compress:max /CheckIntegrity`,
      `/Export-Image /SourceImageFile:${run}/boot.wim /SourceIndex:2 /DestinationImageFile:<ws>/.osmedia/tmp/boot.wim /Compress:max /Bootable /CheckIntegrity`,
    ]);
    // Every DISM call has /English and its own log; servicing calls have the scratch folder.
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { calls: string[][]; folders: Record<string, string[]> };
    // The LCU sits in a folder of its own: the checkpoint the images already contain and last month's LCU are left out.
    expect(state.folders[path.basename(updates.files.lcu)]).toEqual([path.basename(updates.files.lcu)]);
    expect(state.calls.some((c) => c.join(' ').includes('kb5044284') || c.join(' ').includes('kb5043080'))).toBe(false);
    expect(state.calls.every((c) => c.includes('/English') && c.some((a) => a.startsWith('/LogPath:')))).toBe(true);
    expect(state.calls.filter((c) => c.some((a) => a.startsWith('/Image:'))).every((c) => c.some((a) => a.startsWith('/ScratchDir:')))).toBe(true);
    expect(new Set(state.calls.map((c) => c.find((a) => a.startsWith('/LogPath:')))).size).toBe(state.calls.length);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.installWim.images.map((i: any) => i.version)).toEqual(['10.0.26100.2314', '10.0.26100.2314']);
    expect(manifest.bootWim.images.map((i: any) => i.version)).toEqual(['10.0.26100.2314', '10.0.26100.2314']);
    const byTarget = (t: string) => manifest.updates.filter((u: any) => u.target === t).map((u: any) => u.kb + ' ' + u.kind);
    expect(byTarget('winre')).toEqual(['KB5046617 ssu', 'KB5046620 safe-os']);
    expect(byTarget('install.wim:1')).toEqual(['KB5046617 lcu', 'KB5045934 dotnet']);
    expect(byTarget('boot.wim:2')).toEqual(['KB5046617 lcu']);
    expect(manifest.winre).toEqual({ from: 'install.wim:1', before: '10.0.26100.1742', after: '10.0.26100.2305' });
    expect(result.summary['superseded']).toEqual([expect.objectContaining({ kb: 'KB5044284' })]);
    expect(byTarget('media')).toEqual(['KB5046619 setup']);
    expect(manifest.updates.every((u: any) => /^[0-9a-f]{64}$/.test(u.sha256))).toBe(true);
    // The serviced WinRE is inside every edition; setup.exe on the media is boot.wim index 2's.
    const wimlib = new WimlibEngine();
    for (const index of [1, 2]) {
      const out = path.join(await tempDir(), 'winre');
      await wimlib.extractFiles(path.join(workspace, 'media', 'sources', 'install.wim'), index, ['Windows/System32/Recovery/Winre.wim'], out);
      expect((await wimlib.info(path.join(out, 'Winre.wim'))).images[0]!.version).toBe('10.0.26100.2305');
    }
    const boot = path.join(await tempDir(), 'boot');
    await wimlib.extractFiles(path.join(workspace, 'media', 'sources', 'boot.wim'), 2, ['sources/setup.exe', 'Windows/Boot/EFI/bootmgfw.efi'], boot);
    expect(await hashFile(path.join(workspace, 'media', 'sources', 'setup.exe'))).toBe(await hashFile(path.join(boot, 'setup.exe')));
    expect(await hashFile(path.join(workspace, 'media', 'efi', 'boot', 'bootx64.efi'))).toBe(await hashFile(path.join(boot, 'bootmgfw.efi')));
    expect((await wimlib.info(path.join(workspace, 'media', 'sources', 'boot.wim'))).bootIndex).toBe(2);
    expect(result.summary['verified']).toEqual(
      expect.arrayContaining([
        'WinRE: 10.0.26100.2305 as planned (was 10.0.26100.1742)',
        'install.wim index 2: 10.0.26100.2314 as planned',
        'sources/setup.exe equals boot.wim index 2',
      ]),
    );
  });

  it('a Safe-OS-DU-only month: DISM services WinRE once; wimlib puts it into each edition without mounting', async () => {
    const only = await buildSampleUpdates({ dir: path.join(await tempDir(), 'safeos'), only: ['safeOs'] });
    const { workspace, calls } = await setup();
    const result = await runStep(applyUpdates, { from: only.dir }, testContext(workspace), 'test');
    expect(result.result).toBe('succeeded');
    const log = await calls();
    expect(log.filter((c) => c.startsWith('/Mount-Image')).map((c) => c.split(' ')[1])).toEqual(['/ImageFile:<ws>/.osmedia/scratch/run/winre/Winre.wim']);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.installWim.images.map((i: any) => i.version)).toEqual(['10.0.26100.1742', '10.0.26100.1742']);
    expect(manifest.updates.map((u: any) => `${u.target} ${u.kb}`)).toEqual(['winre KB5046620']);
    const wimlib = new WimlibEngine();
    for (const index of [1, 2]) {
      const out = path.join(await tempDir(), 'winre');
      await wimlib.extractFiles(path.join(workspace, 'media', 'sources', 'install.wim'), index, ['Windows/System32/Recovery/Winre.wim'], out);
      expect((await wimlib.info(path.join(out, 'Winre.wim'))).images[0]!.version).toBe('10.0.26100.2305');
    }
  });

  it('on a Windows runner without wimlib, DISM also takes Winre.wim and the setup files out (read-only mounts) and puts WinRE back', async () => {
    const { workspace, calls, stateFile } = await setup();
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    await writeFile(stateFile, JSON.stringify({ ...state, populateMounts: true }));
    const only = await buildSampleUpdates({ dir: path.join(await tempDir(), 'safeos-setup'), only: ['safeOs', 'setupDu'] });
    const context = { ...testContext(workspace), engine: new DismEngine(process.env.OSMEDIA_DISM) };
    const result = await runStep(applyUpdates, { from: only.dir }, context, 'test');
    expect(result.result, JSON.stringify(context.reporter.events.filter((e) => e.type === 'step-finished'))).toBe('succeeded');
    const log = await calls();
    // WinRE out of install.wim index 1 through a read-only mount, serviced, then put into each edition with a mount and commit.
    expect(log.filter((c) => c.startsWith('/Mount-Image')).map((c) => c.replace(/^\/Mount-Image \/ImageFile:/, '').replace(/ \/MountDir:\S+/, ''))).toEqual([
      '<ws>/media/sources/install.wim /Index:1 /ReadOnly',
      '<ws>/.osmedia/scratch/run/winre/Winre.wim /Index:1',
      '<ws>/.osmedia/scratch/run/install.wim /Index:1',
      '<ws>/.osmedia/scratch/run/install.wim /Index:2',
      expect.stringMatching(/^<ws>\/media\/sources\/boot\.wim \/Index:2 \/ReadOnly$/),
      expect.stringMatching(/^<ws>\/media\/sources\/boot\.wim \/Index:2 \/ReadOnly$/),
    ]);
    expect(log.filter((c) => c.startsWith('/Unmount-Image')).map((c) => c.split(' ').at(-1))).toEqual([
      '/Discard',
      '/Commit',
      '/Commit',
      '/Commit',
      '/Discard',
      '/Discard',
    ]);
    expect(log.some((c) => c.startsWith('/Get-ImageInfo'))).toBe(true);
    const wimlib = new WimlibEngine();
    const out = path.join(await tempDir(), 'winre');
    await wimlib.extractFiles(path.join(workspace, 'media', 'sources', 'install.wim'), 2, ['Windows/System32/Recovery/Winre.wim'], out);
    expect((await wimlib.info(path.join(out, 'Winre.wim'))).images[0]!.version).toBe('10.0.26100.2305');
    const boot = path.join(await tempDir(), 'boot');
    await wimlib.extractFiles(path.join(workspace, 'media', 'sources', 'boot.wim'), 2, ['sources/setup.exe'], boot);
    expect(await hashFile(path.join(workspace, 'media', 'sources', 'setup.exe'))).toBe(await hashFile(path.join(boot, 'setup.exe')));
    expect(result.summary['verified']).toEqual(
      expect.arrayContaining(['WinRE: 10.0.26100.2305 as planned (was 10.0.26100.1742)', 'sources/setup.exe equals boot.wim index 2']),
    );
  });

  it('0x800f0823 midway: the image is discarded, the workspace is unchanged, and the message says what to do', async () => {
    const { workspace, calls } = await setup({
      failOn: [
        {
          match: ['/mount/install-2', 'kb5046617'],
          code: '0x800f0823',
          text: 'The operation could not be completed because a newer servicing stack is required.',
        },
      ],
    });
    const before = await snapshot(workspace);
    const error = await apply(workspace).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DismFailure);
    expect((error as Error).message).toMatch(
      /^DISM failed in install\.wim index 2: Windows 11 Enterprise adding KB5046617: 0x800f0823 \(the package needs a newer servicing stack first/,
    );
    expect((error as { fix: string }).fix).toMatch(/SSU-\*\.cab.*The image was discarded; the workspace is unchanged\./);
    // The log the message points at outlives the run: it is in the workspace's logs, with DISM's full output.
    const logPath = (error as DismFailure).logPath!;
    expect(logPath.startsWith(path.join(workspace, '.osmedia', 'logs', 'dism-run-'))).toBe(true);
    expect(await readFile(logPath, 'utf8')).toContain('Error: 0x800f0823');
    expect((error as { fix: string }).fix).toContain(logPath);
    const log = await calls();
    expect(log.slice(-2)).toEqual(['/Unmount-Image /MountDir:<ws>/.osmedia/scratch/run/mount/install-2 /Discard', '/Cleanup-Mountpoints']);
    expect(log.some((c) => c.startsWith('/Export-Image') && c.includes('install.wim'))).toBe(false);
    const after = await snapshot(workspace);
    // Only the failed attempt is recorded in the manifest's history; media/ is byte-for-byte the same.
    const media = (s: string) =>
      s
        .split('\n')
        .filter((l) => l.startsWith('media/'))
        .join('\n');
    expect(media(after)).toBe(media(before));
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.history.at(-1)).toMatchObject({ step: 'apply-updates', result: 'failed' });
    expect(manifest.updates).toEqual([]);
  });

  it("a stale mount of an interrupted run is discarded first; another tool's mount is left alone with a warning", async () => {
    const stale = { dir: '', wim: 'C:\\old\\install.wim', index: 1, status: 'Needs Remount' };
    const { workspace, calls } = await setup({});
    const stateFile = path.join(path.dirname(workspace), 'dism-state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    state.stale = [
      { ...stale, dir: path.join(workspace, '.osmedia', 'scratch', 'run-1-1', 'mount', 'install-1') },
      { ...stale, dir: 'D:\\other-tool\\mount' },
    ];
    await writeFile(stateFile, JSON.stringify(state));
    const context = testContext(workspace);
    const result = await runStep(applyUpdates, { from: updates.dir }, context, 'test');
    expect(result.result).toBe('succeeded');
    expect((await calls()).slice(0, 3)).toEqual([
      '/Get-MountedWimInfo',
      '/Unmount-Image /MountDir:<ws>/.osmedia/scratch/run-1-1/mount/install-1 /Discard',
      '/Cleanup-Mountpoints',
    ]);
    expect(context.reporter.messages('warning').join('\n')).toContain(
      'another tool has C:\\old\\install.wim mounted at D:\\other-tool\\mount (status Needs Remount); left alone',
    );
  });

  it('a stale mount that refuses a discard is cleared by /Cleanup-Mountpoints; one that survives stops the run before any change', async () => {
    const { workspace, calls, stateFile } = await setup({
      failOn: [{ match: ['/Unmount-Image', 'run-1-2'], code: '0xc142010c', text: 'The mount is invalid.' }],
    });
    const stale = (survivesCleanup: boolean) => [
      { dir: path.join(workspace, '.osmedia', 'scratch', 'run-1-2', 'mount', 'boot-1'), wim: 'gone.wim', index: 1, status: 'Invalid', survivesCleanup },
    ];
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    await writeFile(stateFile, JSON.stringify({ ...state, stale: stale(false) }));
    const context = testContext(workspace);
    expect((await runStep(applyUpdates, { from: updates.dir }, context, 'test')).result).toBe('succeeded');
    expect((await calls()).slice(0, 4)).toEqual([
      '/Get-MountedWimInfo',
      '/Unmount-Image /MountDir:<ws>/.osmedia/scratch/run-1-2/mount/boot-1 /Discard',
      '/Cleanup-Mountpoints',
      '/Get-MountedWimInfo',
    ]);
    expect(context.reporter.messages('warning').join('\n')).toMatch(/0xc142010c.*; cleaning up mount points instead/);

    const again = await setup({ failOn: [{ match: ['/Unmount-Image', 'run-1-2'], code: '0xc142010c', text: 'The mount is invalid.' }] });
    const s2 = JSON.parse(await readFile(again.stateFile, 'utf8'));
    await writeFile(
      again.stateFile,
      JSON.stringify({ ...s2, stale: [{ ...stale(true)[0], dir: path.join(again.workspace, '.osmedia', 'scratch', 'run-1-2', 'mount', 'boot-1') }] }),
    );
    const before = await snapshot(path.join(again.workspace, 'media'));
    await expect(apply(again.workspace)).rejects.toThrow(/^Stale mounts of an interrupted run could not be removed: .*run-1-2\/mount\/boot-1 \(Invalid\)$/);
    expect(await snapshot(path.join(again.workspace, 'media'))).toBe(before);
  });

  it('--continue-on-error on the LCU itself: that image is committed without it, recorded, and not held to the predicted build', async () => {
    const { workspace } = await setup({
      failOn: [{ match: ['/mount/install-2', 'kb5046617'], code: '0x800f081f', text: 'The source files could not be found.' }],
    });
    const context = testContext(workspace);
    const result = await runStep(applyUpdates, { from: updates.dir, continueOnError: true }, context, 'test');
    expect(result.result).toBe('succeeded');
    expect((result.summary['failures'] as any[]).map((f) => `${f.target} ${f.code}`)).toEqual(['install.wim:2 0x800f081f']);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.updates.filter((u: any) => u.target === 'install.wim:2').map((u: any) => u.kb)).toEqual(['KB5045934']);
    expect(manifest.updates.filter((u: any) => u.target === 'install.wim:1').map((u: any) => u.kb)).toEqual(['KB5046617', 'KB5045934']);
    expect(context.reporter.messages('warning')).toContain(
      'install.wim index 2: Windows 11 Enterprise: not verified against the plan (failures were recorded under --continue-on-error)',
    );
  });

  it('an unmount that fails: discarded, cleaned up, workspace unchanged, the cause decoded', async () => {
    const { workspace, calls } = await setup({
      failOn: [{ match: ['/Unmount-Image', 'boot-1', '/Commit'], code: '0xc1420117', text: 'The directory could not be completely unmounted.' }],
    });
    const before = await snapshot(path.join(workspace, 'media'));
    const error = await apply(workspace).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^DISM failed saving boot\.wim index 1: Microsoft Windows PE \(amd64\): 0xc1420117 \(the mount folder could not be unmounted completely: a program still has files open in it\)/,
    );
    expect((await calls()).slice(-2)).toEqual(['/Unmount-Image /MountDir:<ws>/.osmedia/scratch/run/mount/boot-1 /Discard', '/Cleanup-Mountpoints']);
    expect(await snapshot(path.join(workspace, 'media'))).toBe(before);
  });

  it('--continue-on-error records a package DISM rejects and carries on; the rest is applied and verified', async () => {
    const { workspace } = await setup({
      failOn: [{ match: ['/Add-Package', 'ndp481'], code: '0x800f081e', text: 'The specified package is not applicable to this image.' }],
    });
    const context = testContext(workspace);
    const result = await runStep(applyUpdates, { from: updates.dir, continueOnError: true }, context, 'test');
    expect(result.result).toBe('succeeded');
    expect(result.message).toMatch(/2 failure\(s\) recorded \(--continue-on-error\)/);
    expect((result.summary['failures'] as any[]).map((f) => [f.target, f.code])).toEqual([
      ['install.wim:1', '0x800f081e'],
      ['install.wim:2', '0x800f081e'],
    ]);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.updates.filter((u: any) => u.kind === 'dotnet')).toEqual([]);
    expect(manifest.updates.filter((u: any) => u.kind === 'lcu' && u.target === 'install.wim:1')).toHaveLength(1);
    expect(context.reporter.messages('warning').some((w) => w.includes('0x800f081e (the package is not applicable'))).toBe(true);
  });

  it('an update DISM "applied" but the image does not list is caught, and so is a build that is not the predicted one', async () => {
    const silent = await setup({
      packagesByFile: {
        'SSU-26100.2308-x64.cab': [ids.ssu],
        [path.basename(updates.files.safeOs)]: [ids.safeOs],
        [path.basename(updates.files.dotnet)]: [ids.dotnet],
      },
    });
    await expect(apply(silent.workspace)).rejects.toThrow(
      `install.wim index 1: Windows 11 Education: DISM reported success, but ${ids.lcu}, ${ids.ssu} are not installed in the image`,
    );
    const wrongBuild = await setup({ ubr: { winre: 2305, install: 2033, boot: 2314 } });
    await expect(apply(wrongBuild.workspace)).rejects.toThrow(
      'install.wim index 1: Windows 11 Education: after servicing it is 10.0.26100.2033, but the plan predicted 10.0.26100.2314 (from KB5046617)',
    );
    expect((await readJson(path.join(wrongBuild.workspace, 'osmedia-manifest.json'))).installWim.images[0].version).toBe('10.0.26100.1742');
  });
  it("11. 0x800F0806 from install.wim's component cleanup is a warning (Microsoft's sample): servicing goes on, the summary shows it", async () => {
    const pending = { code: '0x800f0806', text: 'The operation could not be completed due to pending operations.', exitCode: -2146498554 };
    const { workspace, calls } = await setup({ failOn: [{ match: ['/mount/install-1', '/StartComponentCleanup'], ...pending }] });
    const context = testContext(workspace);
    const result = await runStep(applyUpdates, { from: updates.dir }, context, 'test');
    expect(result.result).toBe('succeeded');
    expect(result.summary['warnings']).toEqual([
      expect.stringMatching(/^install\.wim index 1: Windows 11 Education: component cleanup failed with 0x800F0806 \(CBS_E_PENDING/),
    ]);
    expect(result.message).toMatch(/; 1 warning\(s\); install\.wim 10\.0\.26100\.2314$/);
    expect(context.reporter.messages('warning').join('\n')).toContain('servicing goes on without it');
    // The .NET CU after cleanup still went in, and the image was committed.
    expect((await calls()).filter((c) => c.includes('/mount/install-1 ')).map((c) => c.split(' ')[1])).toContain('/Add-Package');
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.updates.filter((u: any) => u.target === 'install.wim:1').map((u: any) => u.kb)).toEqual(['KB5046617', 'KB5045934']);

    // In boot.wim the same code stops the run: Microsoft's sample only lets it pass for the main OS.
    const boot = await setup({ failOn: [{ match: ['/mount/boot-1', '/StartComponentCleanup'], ...pending }] });
    await expect(apply(boot.workspace)).rejects.toThrow(/^DISM failed in boot\.wim index 1: Microsoft Windows PE \(amd64\) cleaning up components: 0x800f0806/);
  });

  it("11. any other DISM failure stops the run, quoting DISM's error line and the log DISM names", async () => {
    const { workspace } = await setup({
      failOn: [{ match: ['/mount/install-1', 'ndp481'], code: '0x800f081e', text: 'The specified package is not applicable to this image.' }],
    });
    const before = await snapshot(path.join(workspace, 'media'));
    const error = (await apply(workspace).catch((e: unknown) => e)) as DismFailure;
    expect(error).toBeInstanceOf(DismFailure);
    expect(error.message).toBe(
      'DISM failed in install.wim index 1: Windows 11 Education adding KB5045934: 0x800f081e (the package is not applicable to this image (another build, architecture or edition, or already superseded)). DISM said: "Error: 0x800f081e The specified package is not applicable to this image.".',
    );
    expect(error.fix).toContain("DISM's log: C:\\Windows\\Logs\\DISM\\dism.log.");
    expect(error.fix).toContain(`DISM's output: ${error.logPath}`);
    expect(await snapshot(path.join(workspace, 'media'))).toBe(before);
  });

  it('5. an enablement package opted into is applied before the LCU; the manifest and the build file record the new version', async () => {
    const ekb = await buildSampleUpdates({ dir: path.join(await tempDir(), 'ekb'), only: ['lcu', 'enablement'] });
    const ekbId = 'Package_for_KB5054156~31bf3856ad364e35~amd64~~26100.4061.1.1';
    const { workspace, calls } = await setup({
      build: { install: 26200 },
      packagesByFile: { [path.basename(ekb.files.lcu)]: [ids.ssu, ids.lcu], [path.basename(ekb.files.enablement!)]: [ekbId] },
    });
    await expect(runStep(applyUpdates, { from: ekb.dir }, testContext(workspace), 'test')).rejects.toThrow(
      /an enablement package .* from build 26100 to 26200/,
    );
    const result = await runStep(applyUpdates, { from: ekb.dir, enablement: true }, testContext(workspace), 'test');
    expect(result.result).toBe('succeeded');
    const adds = (await calls()).filter((c) => c.includes('/mount/install-1 /Add-Package')).map((c) => path.basename(c.split('/PackagePath:')[1]!));
    expect(adds).toEqual([path.basename(ekb.files.enablement!), path.basename(ekb.files.lcu)]);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.installWim.images.map((i: any) => i.version)).toEqual(['10.0.26200.2314', '10.0.26200.2314']);
    expect(manifest.bootWim.images.map((i: any) => i.version)).toEqual(['10.0.26100.2314', '10.0.26100.2314']);
    expect(buildInfoFrom(manifest, { stampedAt: 'now', recipeRevision: 'r', osmediaVersion: 'v' }).build).toBe('10.0.26200.2314');
  });
});
