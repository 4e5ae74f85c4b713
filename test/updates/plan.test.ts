// Planning on real update packages and on manifests of real imported media. The expected plans are
// written out step by step from Microsoft's table and the checkpoint rules (issue 15); any change to
// what lands in which image, in which order, fails here.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SevenZip } from '../../src/imaging/sevenzip.ts';
import type { Manifest } from '../../src/media/manifest.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { buildSampleUpdates, packageCab, type SampleRole, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { stripIndexes } from '../../src/steps/strip-indexes.ts';
import { checkPins, classifyUpdates, collectUpdateFiles } from '../../src/updates/inputs.ts';
import { describeOperation, formatPlan, planServicing, type PlanOptions, type ServicingPlan } from '../../src/updates/plan.ts';
import type { UpdatePackage } from '../../src/updates/classify.ts';
import { MediaError } from '../../src/util/errors.ts';
import { readJson, sampleMedia, tempDir, testContext } from '../helpers.ts';

let updates: SampleUpdates;
let manifest: Manifest;
let all: UpdatePackage[];
const sevenZip = new SevenZip();
const options: PlanOptions = { cleanup: true, netfx3: false };

beforeAll(async () => {
  updates = await buildSampleUpdates({
    dir: path.join(await tempDir(), 'updates'),
    only: ['lcu', 'checkpoint', 'lastMonth', 'safeOs', 'setupDu', 'dotnet', 'fod', 'languagePack', 'enablement', 'standaloneSsu'],
  });
  const sample = await sampleMedia();
  const workspace = path.join(await tempDir(), 'ws');
  await runStep(importMedia, { source: sample.mediaDir }, testContext(workspace), 'test');
  await runStep(stripIndexes, { keep: ['Enterprise', 'Education'] }, testContext(workspace), 'test');
  manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
  const { files } = await collectUpdateFiles({ from: updates.dir });
  ({ packages: all } = await classifyUpdates(
    sevenZip,
    files,
    await checkPins(files),
    { architecture: 'x64', build: 26100, allowEnablement: true },
    await tempDir(),
  ));
});

const pick = (...roles: SampleRole[]) => all.filter((p) => roles.some((r) => updates.files[r] === p.file));
const month = () => pick('lcu', 'checkpoint', 'lastMonth', 'safeOs', 'setupDu', 'dotnet');

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

const LCU = 'add cumulative update KB5046617 26100.2314.1.7';
const EMBEDDED = '(its servicing stack 26100.2308.1.2 (SSU-26100.2308-x64.cab) is installed by DISM first)';
const CLEANUP = 'component cleanup (/StartComponentCleanup)';
const EXPORT = 'export the image (drops superseded data)';
const WINRE = 'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE';

describe("planner (Microsoft's order)", () => {
  it('24H2 media at 26100.1742 with a month of updates: WinRE once, each install image, each boot image, then the media', () => {
    const plan = planServicing(manifest, month(), options);
    const image = [`${LCU} ${EMBEDDED}`, WINRE, CLEANUP, 'add .NET CU KB5045934 10.0.9277.1', EXPORT];
    const boot = [`${LCU} ${EMBEDDED}`, 'component cleanup (/StartComponentCleanup /ResetBase)', EXPORT];
    expect(steps(plan)).toEqual({
      winre: [
        'take Winre.wim out of install.wim index 1',
        `add servicing stack 26100.2308.1.2 (SSU-26100.2308-x64.cab from KB5046617 ${path.basename(updates.files.lcu)})`,
        'add Safe OS DU KB5046620 26100.2305.1.0',
        'component cleanup (/StartComponentCleanup /ResetBase)',
        EXPORT,
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
    expect(plan.targets.map((t) => [t.target, t.before, t.predicted])).toEqual([
      ['winre', undefined, '10.0.26100.2305'],
      ['install.wim:1', '10.0.26100.1742', '10.0.26100.2314'],
      ['install.wim:2', '10.0.26100.1742', '10.0.26100.2314'],
      ['boot.wim:1', '10.0.26100.1742', '10.0.26100.2314'],
      ['boot.wim:2', '10.0.26100.1742', '10.0.26100.2314'],
      ['media', undefined, undefined],
    ]);
    expect(skips(plan)['winre']).toEqual([
      'KB5046617: the LCU and its checkpoints are not applied to WinRE (Microsoft: WinRE gets the SSU and the Safe OS DU only)',
    ]);
    expect(skips(plan)['install.wim:1']).toEqual(['KB5043080: checkpoint already contained: image at 10.0.26100.1742, KB5043080 brings 26100.1742']);
    expect(plan.targets[1]!.expectPackages).toEqual([
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7',
      'Package_for_ServicingStack_2308~31bf3856ad364e35~amd64~~26100.2308.1.2',
      'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1',
    ]);
    expect(plan.needsDism).toBe(true);
    expect(plan.warnings).toEqual([]);
    const text = formatPlan(plan).join('\n');
    expect(text).toContain('install.wim index 2: Windows 11 Enterprise  10.0.26100.1742 → 10.0.26100.2314');
    expect(text).toContain('needs DISM');
  });

  it("1. last month's LCU in the folder is superseded: named so in the plan, in no image, never called a checkpoint", () => {
    const plan = planServicing(withVersions(manifest, '10.0.26100.1742', '10.0.26100.1742'), month(), options);
    expect(plan.superseded.map((s) => s.kb)).toEqual(['KB5044284']);
    expect(plan.superseded[0]!.reason).toMatch(/^superseded by KB5046617 \(26100\.2314\) and not a checkpoint: never installed/);
    const everything = plan.targets.flatMap((t) => [...t.applies.map((a) => a.kb), ...t.operations.map(describeOperation), ...t.skipped.map((s) => s.kb)]);
    expect(everything.filter((s) => s.includes('KB5044284'))).toEqual([]);
    expect(formatPlan(plan).filter((l) => l.includes('KB5044284'))).toEqual([
      expect.stringMatching(/^superseded KB5044284 \(26100\.2033\.1\.7\): superseded by KB5046617/),
    ]);
    // Named a checkpoint in the recipe, it is one.
    const declared = planServicing(withVersions(manifest, '10.0.26100.1742', '10.0.26100.2100'), month(), { ...options, checkpoints: ['kb5044284'] });
    expect(declared.superseded).toEqual([]);
    expect(steps(declared)['install.wim:1']![0]).toBe(`${LCU} with checkpoint(s) KB5044284 ${EMBEDDED}`);
    expect(skips(declared)['boot.wim:1']).toContain(
      'KB5044284: checkpoint already contained: image at 10.0.26100.2100, KB5044284 brings 26100.2033 (adding it to this WinPE would fail with 0x80073712)',
    );
  });

  it('2. checkpoints per image by build.UBR: into each image below it, before the target; into none at or above it', () => {
    const plan = planServicing(withVersions(manifest, '10.0.26100.1150', '10.0.26100.2000'), month(), { ...options, netfx3: true });
    const s = steps(plan);
    expect(s['install.wim:1']).toEqual([
      `${LCU} with checkpoint(s) KB5043080 ${EMBEDDED}`,
      WINRE,
      CLEANUP,
      'enable .NET Framework 3.5 (NetFx3) from sources/sxs',
      'add .NET CU KB5045934 10.0.9277.1',
      EXPORT,
    ]);
    expect(plan.targets.find((t) => t.target === 'install.wim:1')!.applies.map((a) => a.kb)).toEqual(['KB5043080', 'KB5046617', '', 'KB5045934']);
    expect(s['boot.wim:1']![0]).toBe(`${LCU} ${EMBEDDED}`);
    expect(skips(plan)['boot.wim:1']![1]).toBe(
      'KB5043080: checkpoint already contained: image at 10.0.26100.2000, KB5043080 brings 26100.1742 (adding it to this WinPE would fail with 0x80073712)',
    );
    expect(plan.targets.find((t) => t.target === 'boot.wim:2')!.predicted).toBe('10.0.26100.2314');
  });

  it('2. a known checkpoint an image needs but the folder lacks stops the plan, naming it', () => {
    const error = (() => {
      try {
        planServicing(withVersions(manifest, '10.0.26100.1150', '10.0.26100.2000'), pick('lcu', 'safeOs'), options);
      } catch (e) {
        return e as MediaError;
      }
    })();
    expect(error).toBeInstanceOf(MediaError);
    expect(error!.message).toBe(
      'install.wim index 1: Windows 11 Education (10.0.26100.1150) needs the checkpoint cumulative update KB5043080 (26100.1742) before KB5046617, and it is not among the updates',
    );
  });

  it('6. language packs and Features on Demand go into install.wim before the LCU, never into boot.wim', () => {
    const plan = planServicing(manifest, pick('lcu', 'fod', 'languagePack'), options);
    expect(steps(plan)['install.wim:1']).toEqual([
      'add language pack  10.0.26100.1742',
      'add Feature on Demand  10.0.26100.1742',
      `${LCU} ${EMBEDDED}`,
      CLEANUP,
      EXPORT,
    ]);
    expect(steps(plan)['boot.wim:1']).toEqual([`${LCU} ${EMBEDDED}`, 'component cleanup (/StartComponentCleanup /ResetBase)', EXPORT]);
    expect(skips(plan)['boot.wim:1']).toEqual([
      ': not applied to WinPE (boot.wim takes the servicing stack and the LCU)',
      ': not applied to WinPE (boot.wim takes the servicing stack and the LCU)',
    ]);
  });

  it('6. an optional component goes after cleanup and before .NET (the table, steps 13-15): it leaves pending operations', async () => {
    const work = await tempDir();
    const file = path.join(work, 'microsoft-windows-simpletcp-package~31bf3856ad364e35~amd64~~.cab');
    await packageCab(work, file, { name: 'Microsoft-Windows-SimpleTCP-Package', version: '10.0.26100.1742', kb: '', releaseType: 'Feature Pack' }, [
      'microsoft-windows-simpletcp',
    ]);
    const { packages } = await classifyUpdates(
      sevenZip,
      [{ file, size: 1, mtimeMs: 0 }],
      new Map([[file, 'f'.repeat(64)]]),
      { architecture: 'x64', build: 26100 },
      await tempDir(),
    );
    expect(packages.map((p) => p.kind)).toEqual(['optional-component']);
    const plan = planServicing(manifest, [...pick('lcu', 'dotnet'), ...packages], options);
    expect(steps(plan)['install.wim:1']).toEqual([
      `${LCU} ${EMBEDDED}`,
      CLEANUP,
      'add optional component  10.0.26100.1742',
      'add .NET CU KB5045934 10.0.9277.1',
      EXPORT,
    ]);
  });

  it('5. an enablement package opted into: install.wim before the LCU, predicted at the new build', () => {
    const plan = planServicing(manifest, pick('lcu', 'enablement'), options);
    expect(steps(plan)['install.wim:1']!.slice(0, 2)).toEqual(['add enablement package KB5054156 26100.4061.1.1', `${LCU} ${EMBEDDED}`]);
    expect(plan.targets.find((t) => t.target === 'install.wim:1')!.predicted).toBe('10.0.26200.2314');
    expect(plan.targets.find((t) => t.target === 'boot.wim:1')!.predicted).toBe('10.0.26100.2314');
  });

  it('12. a standalone SSU goes first, shown as one; the SSU inside the 24H2 LCU is shown as left to DISM', () => {
    const old = withVersions(manifest, '10.0.26100.1742', '10.0.26100.1742');
    const plan = planServicing(old, pick('standaloneSsu', 'lcu'), options);
    expect(steps(plan)['install.wim:1']!.slice(0, 2)).toEqual(['add standalone servicing stack update KB5047621 26100.2308.1.2', `${LCU} ${EMBEDDED}`]);
    expect(steps(plan)['boot.wim:2']![0]).toBe('add standalone servicing stack update KB5047621 26100.2308.1.2');
  });

  it('8. warns when the Safe OS or Setup DU is from another month than the LCU', async () => {
    const october = await buildSampleUpdates({ dir: path.join(await tempDir(), 'october'), only: ['safeOs', 'setupDu'], duMonth: '2024-10' });
    const { files } = await collectUpdateFiles({ from: october.dir });
    const { packages } = await classifyUpdates(sevenZip, files, await checkPins(files), { architecture: 'x64', build: 26100 }, await tempDir());
    const plan = planServicing(manifest, [...pick('lcu'), ...packages], options);
    expect([...plan.warnings].sort()).toEqual([
      "the Safe OS Dynamic Update KB5046620 is from 2024-10, the cumulative update KB5046617 from 2024-11: use the Dynamic Updates of the LCU's month (or the latest published before it)",
      "the Setup Dynamic Update KB5046619 is from 2024-10, the cumulative update KB5046617 from 2024-11: use the Dynamic Updates of the LCU's month (or the latest published before it)",
    ]);
    expect(formatPlan(plan)).toEqual(expect.arrayContaining([expect.stringMatching(/^warning: the Safe OS Dynamic Update KB5046620 is from 2024-10/)]));
  });

  it('10. an image whose XML has no version fails at planning, naming the image', () => {
    const broken = {
      ...manifest,
      installWim: { ...manifest.installWim, images: manifest.installWim.images.map((i, n) => (n === 1 ? { ...i, version: '' } : i)) },
    };
    expect(() => planServicing(broken, month(), options)).toThrow(
      'install.wim index 2 (Windows 11 Enterprise) has no Windows version in its image XML (WINDOWS/VERSION is missing)',
    );
  });

  it('media serviced last month: only the new updates are planned', () => {
    const last = withVersions(manifest, '10.0.26100.2033', '10.0.26100.2033');
    const october = (target: string, kind: string, identity: string) => ({ target, kind, kb: 'KB-old', identity, file: 'old', sha256: 'old' });
    last.updates = [
      october('winre', 'safe-os', 'Package_for_SafeOSDU~31bf3856ad364e35~amd64~~26100.2150.1.0'),
      ...['install.wim:1', 'install.wim:2', 'boot.wim:1', 'boot.wim:2'].map((t) =>
        october(t, 'lcu', 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2033.1.10'),
      ),
      october('install.wim:1', 'dotnet', 'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1'),
    ];
    const plan = planServicing(last, month(), options);
    const s = steps(plan);
    expect(s['install.wim:1']).toEqual([`${LCU} ${EMBEDDED}`, WINRE, CLEANUP, EXPORT]);
    expect(s['install.wim:2']).toEqual([`${LCU} ${EMBEDDED}`, WINRE, CLEANUP, 'add .NET CU KB5045934 10.0.9277.1', EXPORT]);
    expect(skips(plan)['install.wim:1']).toEqual([
      'KB5043080: checkpoint already contained: image at 10.0.26100.2033, KB5043080 brings 26100.1742',
      'KB5045934: already applied (recorded in the manifest)',
    ]);
    expect(s['winre']).toContain('add Safe OS DU KB5046620 26100.2305.1.0');

    // And a month with nothing new: every image is left alone.
    const sameMonth = planServicing(withVersions(manifest, '10.0.26100.2314', '10.0.26100.2314'), pick('lcu', 'checkpoint'), options);
    expect(sameMonth.needsDism).toBe(false);
    expect(skips(sameMonth)['winre']).toEqual([
      ": no Safe OS Dynamic Update among the updates: WinRE is left as it is (add the month's Safe OS DU to service it)",
    ]);
    expect(sameMonth.targets.every((t) => t.operations.length === 0)).toBe(true);
    expect(skips(sameMonth)['install.wim:1']![0]).toBe('KB5046617: image already at 10.0.26100.2314 (this CU brings 26100.2314)');
  });

  it('a Setup-DU-only plan needs no DISM', () => {
    const plan = planServicing(manifest, pick('setupDu'), options);
    expect(plan.needsDism).toBe(false);
    expect(plan.targets.filter((t) => t.operations.length > 0).map((t) => t.target)).toEqual(['media']);
  });
});
