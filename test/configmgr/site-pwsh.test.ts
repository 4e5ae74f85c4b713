// The generated site scripts executed for real under PowerShell 7.6, against the stand-in
// ConfigurationManager module whose cmdlets carry Microsoft Learn's signatures (cmdlets.json) and a
// site state file as the site: the read, apply and status scripts through the same code the
// distribute step runs (runSiteOperations), and the task sequence script. Hostile names arrive byte
// for byte and never run (a canary file a payload would create stays absent); a re-run changes
// nothing; every script passes the Windows PowerShell 5.1 syntax check. Nothing here is skipped
// when pwsh is installed (scripts/ensure-deps.sh installs it).
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSiteOperations, SITE_SCRIPTS } from '../../src/configmgr/run-site.ts';
import { DEFAULT_CHECKS, taskSequenceXml } from '../../src/configmgr/task-sequence.ts';
import { taskSequenceScript } from '../../src/configmgr/ts-script.ts';
import type { Clock } from '../../src/configmgr/site-plan.ts';
import { packageDescription, SiteOptionsSchema, type SiteScriptInput } from '../../src/configmgr/site.ts';
import { Workspace } from '../../src/media/workspace.ts';
import { MediaError } from '../../src/util/errors.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { repoRoot, tempDir } from '../helpers.ts';
import { findPwsh, nal, ps51Problems, runPwshFile, STUB_DIR, stubSite } from './pwsh.ts';

const pwsh = findPwsh();
const instantClock = (): Clock => {
  let t = 0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
};

let canary = '';
const saved = { ...process.env };
beforeEach(async () => {
  canary = path.join(await tempDir('osmedia-canary-'), 'ran');
  process.env.CANARY = canary;
});
afterEach(() => {
  for (const key of ['OSMEDIA_POWERSHELL', 'SMS_ADMIN_UI_PATH', 'OSMEDIA_STUB_SITE', 'PSModulePath', 'CANARY']) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- restoring the environment as it was
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

// Quotes (typographic too), $() and backtick payloads that would create the canary file, wildcards,
// a newline, a semicolon and non-ASCII; at most 50 characters (ConfigMgr's limit for a package name).
const NAME = 'O\'B’ [P]*? $(ni $env:CANARY)`"$(ni $env:CANARY\n;ü升';
const IMAGE_NAME = "Image ‘O'B’ $(ni $env:CANARY)\n*";
const PATH_PAYLOAD = "\\\\cm01\\src$\\O'Brien $(New-Item -Path $env:CANARY) `$(ni $env:CANARY) ‘x’";

function siteInput(version: string, hash: string, over: Record<string, unknown> = {}): SiteScriptInput {
  return {
    site: SiteOptionsSchema.parse({
      siteCode: 'P01',
      provider: 'cm01.contoso.com',
      upgradePackageName: NAME,
      imagePackageName: IMAGE_NAME,
      acceptLicense: true,
      distributionPointGroups: ['All DPs'],
      distributionPoints: ['DP03.contoso.com'],
      waitDistribution: 600,
      multicast: { allow: true, encrypt: true, transferOnly: false },
      ...over,
    }),
    sourcePath: `${PATH_PAYLOAD}\\${version}-${hash}`,
    version: `10.0.${version}`,
    description: packageDescription(hash, ['Enterprise $(ni $env:CANARY)'], ['KB5046617'], 'a1b2c3d4e5f6'),
  };
}

async function withSite(over: Parameters<typeof stubSite>[0] = {}) {
  const site = await stubSite(over);
  Object.assign(process.env, site.env, { OSMEDIA_POWERSHELL: pwsh! });
  const workspace = new Workspace(path.join(site.dir, 'ws'));
  const reporter = new CollectingReporter();
  const run = (input: SiteScriptInput) => runSiteOperations(workspace, input, reporter, instantClock());
  return { site, workspace, reporter, run };
}

// Each test starts pwsh a few times (seconds each on a loaded 2-core machine): a generous upper bound, no timing.
describe.skipIf(!pwsh)('site scripts under PowerShell 7.6 against the stand-in module', { timeout: 900_000 }, () => {
  it('creates, distributes and waits with hostile names that arrive exactly and never run; a re-run changes nothing', async () => {
    expect(NAME.length).toBeLessThanOrEqual(50);
    const { site, workspace, run } = await withSite();
    const input = siteInput('26100.2314', '1a2b3c4d');
    const first = await run(input);
    let state = await site.read();
    const upgrade = state.packages.find((p) => p.Kind === 'upgrade')!;
    const image = state.packages.find((p) => p.Kind === 'image')!;
    expect(first.upgradePackage).toMatchObject({ action: 'created', packageId: upgrade.PackageID });
    expect([upgrade.Name, upgrade.PkgSourcePath, upgrade.Description, upgrade.Version, upgrade.BinaryDelta]).toEqual([
      NAME,
      input.sourcePath,
      input.description,
      '10.0.26100.2314',
      true,
    ]);
    expect([image.Name, image.PkgSourcePath, image.Multicast]).toEqual([IMAGE_NAME, `${input.sourcePath}\\sources\\install.wim`, 'True/True/False']);
    expect(first.distribution.map((d) => `${d.distributionPoint} ${d.packageId} ${d.state}`).sort()).toEqual(
      ['DP01', 'DP02', 'DP03'].flatMap((dp) => [upgrade.PackageID, image.PackageID].map((id) => `${dp}.contoso.com ${id} installed`)).sort(),
    );
    expect(existsSync(canary), 'a payload in a name, path or description ran').toBe(false);
    // Every name lookup passed -DisableWildcardHandling, and the calls the site saw are the documented ones.
    const lookups = state.calls.filter((c) => /^Get-CM/.test(c.cmdlet) && ('Name' in c.parameters || 'SiteSystemServerName' in c.parameters));
    expect(lookups.length).toBeGreaterThanOrEqual(4);
    expect(lookups.every((c) => c.parameters.DisableWildcardHandling === true)).toBe(true);
    // Start-CMContentDistribution looks the groups and DPs up by name too (issue 16.7).
    const distributions = state.calls.filter((c) => c.cmdlet === 'Start-CMContentDistribution');
    expect(distributions.length).toBe(2);
    expect(distributions.every((c) => c.parameters.DisableWildcardHandling === true)).toBe(true);
    expect(state.calls.filter((c) => c.change).map((c) => `${c.cmdlet} ${c.set}`)).toEqual([
      'New-CMOperatingSystemInstaller __AllParameterSets',
      'Set-CMOperatingSystemInstaller SetById',
      'Start-CMContentDistribution SearchByIdMandatory_OperatingSystemInstaller',
      'New-CMOperatingSystemImage __AllParameterSets',
      'Set-CMOperatingSystemImage SetById',
      'Start-CMContentDistribution SearchByIdMandatory_OperatingSystemImage',
    ]);

    const before = (await site.changes()).length;
    const second = await run(input);
    expect(second.changes).toEqual([]);
    expect((await site.changes()).length).toBe(before);

    // A new version: repointed, reloaded, refreshed and marked; -WhatIf on that apply script changes nothing.
    const third = await run(siteInput('26100.2400', '5e6f7a8b'));
    expect(third.upgradePackage.action).toBe('repointed');
    state = await site.read();
    expect(
      state.calls
        .slice(-12)
        .filter((c) => c.change)
        .map((c) => c.cmdlet),
    ).toContain('Update-CMDistributionPoint');
    const applied = (await site.changes()).length;
    const whatIf = await runPwshFile(pwsh!, path.join(workspace.root, 'scripts', SITE_SCRIPTS.apply), ['-WhatIf'], site.env);
    expect(whatIf.exitCode, whatIf.stderr).toBe(0);
    expect((await site.changes()).length).toBe(applied);
    expect(existsSync(canary)).toBe(false);
  });

  it('a name with wildcards changes only its own package, never one it would match as a pattern', async () => {
    const other = { Kind: 'upgrade', PackageID: 'P0100001', Name: 'Upgrade P Win11 x', PkgSourcePath: '\\\\s\\other', Version: '1', Description: 'theirs' };
    const { site, run } = await withSite({ packages: [{ ...other, BinaryDelta: false, Multicast: '', SourceVersion: 1 }] });
    const result = await run(siteInput('26100.2314', '1a2b3c4d', { upgradePackageName: 'Upgrade [Pilot] *Win11*', imagePackageName: undefined }));
    expect(result.upgradePackage.action).toBe('created');
    const state = await site.read();
    expect(state.packages.find((p) => p.PackageID === 'P0100001')).toMatchObject(other);
    expect(state.packages.find((p) => p.PackageID === result.upgradePackage.packageId)?.Name).toBe('Upgrade [Pilot] *Win11*');
  });

  it('while waiting prints each DP with its state and since when; a failed DP is listed with its status message', async () => {
    const { site, reporter, run } = await withSite({ failingPoints: [nal('DP02.contoso.com')] });
    const error = await run(siteInput('26100.2314', '1a2b3c4d', { imagePackageName: undefined })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    const id = (await site.read()).packages[0]!.PackageID;
    expect((error as MediaError).message).toBe(
      `OS upgrade package ${id} (created) did not reach 1 distribution point(s): DP02.contoso.com ${id}: install failed since 2026-12-08T03:00:00Z (status message 2303 at 2026-12-08T03:01:00Z: The network path was not found.)`,
    );
    const lines = reporter.events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
    expect(lines).toContain(`site P01: DP01.contoso.com ${id}: installed since 2026-12-08T03:00:00Z`);
    expect(lines).toContain('site P01: 2/3 distribution point(s) installed, 1 failed');
  });

  it('a cmdlet that fails stops the apply script at its step; fixed, the re-run finishes', async () => {
    const { site, run } = await withSite();
    await run(siteInput('26100.2314', '1a2b3c4d'));
    await site.update((s) => void (s.fail = 'Update-CMDistributionPoint'));
    const failed = await run(siteInput('26100.2450', '9c0d1e2f')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MediaError);
    expect((failed as Error).message).toMatch(
      /"refresh the distribution points that hold the OS upgrade package .*" failed: Access denied \(stand-in: Update-CMDistributionPoint fails\)/s,
    );
    await site.update((s) => void (s.fail = null));
    const resumed = await run(siteInput('26100.2450', '9c0d1e2f'));
    expect(resumed.changes.some((c) => c.startsWith('refresh the distribution points'))).toBe(true);
  });

  it('every generated site script passes the Windows PowerShell 5.1 check, and the check catches a planted PowerShell 7 operator', async () => {
    const { workspace, run } = await withSite();
    await run(siteInput('26100.2314', '1a2b3c4d'));
    const dir = path.join(workspace.root, 'scripts');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ps1')).map((f) => path.join(dir, f));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(Object.values(SITE_SCRIPTS).sort());
    expect(await ps51Problems(pwsh!, files)).toEqual([]);
    // The stand-in runs under Windows PowerShell 5.1 too (site-smoke.ts on the Windows runner).
    const stub = ['ConfigurationManager.psm1', 'StubSite.ps1', 'modules/OsmediaStubCim/OsmediaStubCim.psm1'].map((f) => path.join(STUB_DIR, f));
    expect(await ps51Problems(pwsh!, stub)).toEqual([]);
    const planted = path.join(dir, 'planted.ps1');
    await writeFile(planted, "\uFEFF$a = $null\n$b = $a ?? 'x'\n$c = ${a}?.Name\nGet-Item . && Get-Item .\n");
    expect((await ps51Problems(pwsh!, [planted])).map((p) => `${p.line} ${p.problem}`)).toEqual([
      '2 null-coalescing operator ?? (PowerShell 7.0)',
      '3 null-conditional member access ?. (PowerShell 7.1)',
      '4 pipeline chain operator AndAnd (PowerShell 7.0; use if ($?))',
    ]);
    const noBom = path.join(dir, 'nobom.ps1');
    await writeFile(noBom, "$x = 'ü'\n");
    expect((await ps51Problems(pwsh!, [noBom]))[0]?.problem).toMatch(/without a UTF-8 BOM/);
  });
});

describe.skipIf(!pwsh)('the task sequence script under PowerShell 7.6 against the stand-in module', { timeout: 900_000 }, () => {
  it('creates the task sequence from the XML with a hostile name, then repoints it by ID; nothing runs as code; 5.1-clean', async () => {
    const upgrade = {
      Kind: 'upgrade',
      PackageID: 'P0100123',
      Name: 'Win11',
      PkgSourcePath: '\\\\s\\a',
      Version: '1',
      Description: 'x',
      BinaryDelta: true,
      Multicast: '',
      SourceVersion: 1,
    };
    const decoy = {
      PackageID: 'P0100999',
      Name: 'Upgrade P W11 x',
      Description: 'theirs',
      Sequence: '<sequence/>',
      UpgradePackageID: 'P0100001',
      EditionIndex: 1,
    };
    const site = await stubSite({ packages: [upgrade], taskSequences: [decoy] });
    const dir = await tempDir('osmedia-ts-');
    const name = 'Upgrade [P] *W11* $(ni $env:CANARY) ‘q’\n`$(ni $env:CANARY)';
    const description = 'In-place upgrade $(ni $env:CANARY) "quoted" & <xml> ü升';
    const write = async (packageId: string, editionIndex: number) => {
      await writeFile(
        path.join(dir, 'osmedia-upgrade.xml'),
        taskSequenceXml({
          packageId,
          editionIndex,
          scanOnly: false,
          dynamicUpdate: 'disable',
          checks: DEFAULT_CHECKS,
          setupOptions: '/DiagnosticPrompt Enable $(ni $env:CANARY)',
        }),
      );
      await writeFile(
        path.join(dir, 'osmedia-upgrade.ps1'),
        taskSequenceScript({ name, description, packageId, editionIndex, xmlFile: 'osmedia-upgrade.xml' }),
      );
    };
    const env = { ...site.env, CANARY: canary };
    await write('P0100123', 2);
    const created = await runPwshFile(pwsh!, path.join(dir, 'osmedia-upgrade.ps1'), ['-SiteCode', 'P01', '-ProviderMachineName', 'cm01.contoso.com'], env);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/OSMEDIA-RESULT \{"action":"created","packageId":"P0100501"/);
    let state = await site.read();
    const ts = state.taskSequences.find((t) => t.PackageID === 'P0100501')!;
    expect([ts.Name, ts.Description]).toEqual([name, description]);
    expect(ts.Sequence).toContain('tsenv.exe "OSDSetupAdditionalUpgradeOptions=/DiagnosticPrompt Enable $(ni $env:CANARY)" /hiddenflag:False');
    expect(state.calls.filter((c) => c.change).map((c) => c.cmdlet)).toEqual([
      'Invoke-CimMethod SMS_TaskSequencePackage.ImportSequence',
      'Invoke-CimMethod SMS_TaskSequencePackage.SetSequence',
    ]);

    // Re-run with a new edition: the existing one (found by its literal name) is changed by its ID; the decoy that
    // the name would match as a wildcard pattern is untouched.
    await write('P0100123', 3);
    const updated = await runPwshFile(pwsh!, path.join(dir, 'osmedia-upgrade.ps1'), ['-SiteCode', 'P01', '-ProviderMachineName', 'cm01.contoso.com'], env);
    expect(updated.exitCode, updated.stderr).toBe(0);
    state = await site.read();
    expect(state.calls.filter((c) => c.change).at(-1)).toMatchObject({
      cmdlet: 'Set-CMTSStepUpgradeOperatingSystem',
      set: 'ById',
      parameters: { TaskSequenceId: 'P0100501', EditionIndex: 3, UpgradePackage: 'object:P0100123' },
    });
    expect(state.taskSequences.find((t) => t.PackageID === 'P0100999')).toEqual(decoy);
    expect(state.calls.filter((c) => c.cmdlet === 'Get-CMTaskSequence').every((c) => c.parameters.DisableWildcardHandling === true)).toBe(true);
    expect(existsSync(canary)).toBe(false);
    expect(await ps51Problems(pwsh!, [path.join(dir, 'osmedia-upgrade.ps1')])).toEqual([]);
  });

  it("the Pester tests of the stand-in pass: Microsoft's signatures are enforced (unknown parameter, two sets, missing mandatory, missing cmdlet)", async () => {
    const pester = path.join(repoRoot, '.tools', 'modules', 'Pester', '5.7.1', 'Pester.psd1');
    expect(existsSync(pester), 'Pester 5.7.1: run bash scripts/ensure-deps.sh').toBe(true);
    const result = await runPwshFile(pwsh!, path.join(repoRoot, 'scripts', 'site-stub', 'run-pester.ps1'), ['-Pester', pester], {});
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Tests Passed: \d+, Failed: 0/);
  });
});

it('PowerShell 7.6 is installed for these tests (bash scripts/ensure-deps.sh)', () => {
  expect(pwsh, 'no pwsh: run bash scripts/ensure-deps.sh, or set OSMEDIA_PWSH_TEST').toBeDefined();
});
