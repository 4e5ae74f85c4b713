// The ConfigMgr site operations: the generated script (parsed with a real PowerShell grammar, with
// hostile values), and the distribute step running it through a stand-in PowerShell that replays
// recorded results: a missing package (created), an existing one (repointed), a failed
// distribution and a timeout. No site is reachable here; the script itself has not run on one.
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Language, Parser } from 'web-tree-sitter';
import { UTF8_BOM } from '../../src/configmgr/powershell.ts';
import { describeSiteOperations, packageDescription, parseSiteResult, siteScript, SiteOptionsSchema } from '../../src/configmgr/site.ts';
import { readJson, repoRoot, runCli, sampleMedia, tempDir } from '../helpers.ts';

const HOSTILE = ["O'Brien's upgrade", 'Upgrade $(Remove-Item C:\\ -Recurse) `whoami`', 'a; Stop-Computer -Force; "b"', 'line one\nline two', 'Ünïcödé 升级 \u{1F600} “typographic” ‘quotes’'];

function assigned(script: string, variable: string): string {
  const line = new RegExp(`^\\$${variable} = '((?:[^'\u2018\u2019\u201A\u201B]|['\u2018\u2019\u201A\u201B]{2})*)'\\r?$`, 'ms').exec(script);
  if (!line) throw new Error(`no $${variable} assignment`);
  return line[1]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1');
}

const site = (over: Record<string, unknown> = {}) => SiteOptionsSchema.parse({ siteCode: 'P01', provider: 'cm01.contoso.com', upgradePackageName: 'Windows 11 24H2 Enterprise', acceptLicense: true, distributionPointGroups: ['All DPs'], ...over });

describe('site script', () => {
  it('parses with a real PowerShell grammar with hostile names, paths, descriptions and DP groups, and keeps them exact', async () => {
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(path.join(repoRoot, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm')));
    for (const value of HOSTILE) {
      const script = siteScript({ site: site({ upgradePackageName: value.slice(0, 50), imagePackageName: value.slice(0, 50), distributionPointGroups: [value, 'All DPs'], distributionPoints: [value], multicast: { allow: true, encrypt: true, transferOnly: false } }), sourcePath: `\\\\cm01\\sources$\\OS\\${value}`, version: '10.0.26100.2314', description: value });
      expect(script.startsWith(UTF8_BOM)).toBe(true);
      expect(parser.parse(script.slice(1))!.rootNode.hasError, JSON.stringify(value)).toBe(false);
      expect(assigned(script, 'UpgradeName')).toBe(value.slice(0, 50));
      expect(assigned(script, 'ImageName')).toBe(value.slice(0, 50));
      expect(assigned(script, 'SourcePath')).toBe(`\\\\cm01\\sources$\\OS\\${value}`);
      expect(assigned(script, 'Description')).toBe(value);
    }
  });

  it('creates or repoints the package with the documented cmdlets, distributes, refreshes, and reports', () => {
    const script = siteScript({ site: site({ imagePackageName: 'Win11 image', waitDistribution: 600 }), sourcePath: '\\\\cm01\\src\\26100.2314-1a2b3c4d', version: '10.0.26100.2314', description: 'osmedia: Enterprise' });
    for (const line of [
      'New-CMOperatingSystemInstaller -Name $UpgradeName -Path $SourcePath -Version $Version -Description $Description',
      'Set-CMOperatingSystemInstaller -InputObject $package -Path $SourcePath -Version $Version -Description $Description',
      'Set-CMOperatingSystemInstaller -InputObject $package -EnableBinaryDeltaReplication $true -Reload',
      'New-CMOperatingSystemImage -Name $ImageName -Path $ImagePath -Version $Version -Description $Description',
      'Set-CMOperatingSystemImage -InputObject $image -EnableBinaryDeltaReplication $true -MulticastAllow $false -MulticastEncrypt $false -MulticastTransferOnly $false -Reload',
      'try { Start-CMContentDistribution @arguments }',
      'Update-CMDistributionPoint -OperatingSystemInstallerId $id',
      'Get-CimInstance -ComputerName $ProviderMachineName -Namespace $namespace -ClassName SMS_PackageStatusDistPointsSummarizer',
      '$WaitSeconds = 600',
      "$DistributionPointGroups = @('All DPs')",
      '[CmdletBinding(SupportsShouldProcess = $true)]',
    ]) expect(script, line).toContain(line);
    expect(script).not.toMatch(/-Index\b/); // -Index would make ConfigMgr rewrite install.wim in the source folder
    expect(script).not.toMatch(/-Credential\b|Get-Credential|SecureString|Password/);
  });

  it('describes the package within 127 characters, and refuses a site without an explicit license acceptance', () => {
    expect(packageDescription(['Enterprise', 'Education'], ['KB5046617', 'KB5046619'], 'a1b2c3d4e5f6')).toBe('osmedia: Enterprise, Education; updates KB5046617, KB5046619; rev a1b2c3d4e5f6');
    expect(packageDescription(['E'.repeat(200)], [], undefined)).toHaveLength(127);
    expect(SiteOptionsSchema.safeParse({ siteCode: 'P01', provider: 'cm01', upgradePackageName: 'x' }).error?.issues[0]?.message).toMatch(/license terms must be accepted explicitly/);
    expect(SiteOptionsSchema.safeParse({ siteCode: 'P01;', provider: 'cm01', upgradePackageName: 'x', acceptLicense: true }).success).toBe(false);
    expect(describeSiteOperations({ site: site(), sourcePath: 'S', version: 'V', description: 'D' })[1]).toBe('site P01: distribute to DP group "All DPs"; refresh the distribution points that already hold it');
    expect(parseSiteResult('noise\nOSMEDIA-RESULT {"siteCode":"P01","upgradePackage":null,"imagePackage":null,"distribution":{"packageId":"P0100123","distributionPoint":"DP01","state":"installed"},"timedOut":false}')?.distribution).toHaveLength(1);
  });
});

/** A stand-in powershell.exe: records its argv, writes a recorded result to -ResultPath, prints the log. */
async function fakePowerShell(result: unknown, exitCode = 0): Promise<{ file: string; argv: () => Promise<string[]> }> {
  const dir = await tempDir();
  const resultJson = path.join(dir, 'recorded.json');
  await writeFile(resultJson, JSON.stringify(result));
  const file = path.join(dir, 'powershell');
  await writeFile(file, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/argv'\nwhile [ $# -gt 0 ]; do if [ "$1" = "-ResultPath" ]; then cp '${resultJson}' "$2"; fi; shift; done\necho 'WARNING: recorded console output'\n${exitCode ? `echo 'Get-CMOperatingSystemInstaller : Access denied' >&2; exit ${exitCode}` : ''}\n`);
  await chmod(file, 0o755);
  return { file, argv: async () => (await readFile(path.join(dir, 'argv'), 'utf8')).trim().split('\n') };
}

const recorded = (over: Record<string, unknown>) => ({
  siteCode: 'P01',
  upgradePackage: { name: 'Windows 11 24H2 Enterprise', packageId: 'P0100123', action: 'created', sourcePath: 'x', version: '10.0.26100.1742' },
  imagePackage: null,
  distribution: [{ packageId: 'P0100123', distributionPoint: 'DP01.contoso.com', state: 'installed' }, { packageId: 'P0100123', distributionPoint: 'DP02.contoso.com', state: 'installed' }],
  timedOut: false,
  whatIf: false,
  ...over,
});

async function stripped(): Promise<{ ws: string; target: string }> {
  const sample = await sampleMedia();
  const root = await tempDir();
  const ws = path.join(root, 'ws');
  expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
  expect((await runCli(['strip-indexes', '--workspace', ws, '--keep', 'Enterprise'])).exitCode).toBe(0);
  return { ws, target: path.join(root, 'share') };
}

const siteFlags = ['--site-code', 'P01', '--provider', 'cm01.contoso.com', '--upgrade-package-name', 'Windows 11 24H2 Enterprise', '--accept-license', '--dp-group', 'All DPs', '--wait-distribution', '600'];

describe('distribute with a site (replayed)', () => {
  it('a missing package is created from the published version folder; the package ID is the result; an existing one is repointed', async () => {
    const { ws, target } = await stripped();
    const created = await fakePowerShell(recorded({}));
    const first = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--json'], { env: { OSMEDIA_POWERSHELL: created.file } });
    expect(first.exitCode, first.stderr).toBe(0);
    const version = (await readJson(path.join(target, 'current.json'))).version;
    const script = path.join(ws, 'scripts', 'osmedia-site.ps1');
    expect(await created.argv()).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', script, '-ResultPath', expect.stringMatching(/site-result-\d+\.json$/)]);
    const text = await readFile(script, 'utf8');
    expect(assigned(text, 'SourcePath')).toBe(path.join(target, version));
    expect(assigned(text, 'Version')).toBe('10.0.26100.1742');
    expect(assigned(text, 'Description')).toBe('osmedia: Enterprise; no updates');
    expect(first.json().summary.site).toMatchObject({ upgradePackage: { packageId: 'P0100123', action: 'created' }, licenseAccepted: true, script });
    expect(first.json().message).toMatch(/site P01: OS upgrade package P0100123 created, 2\/2 distribution point\(s\) installed$/);

    const repointed = await fakePowerShell(recorded({ upgradePackage: { name: 'Windows 11 24H2 Enterprise', packageId: 'P0100123', action: 'repointed', sourcePath: 'y', version: '10.0.26100.1742' } }));
    const second = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--json'], { env: { OSMEDIA_POWERSHELL: repointed.file } });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json().result).toBe('succeeded'); // the share was unchanged, the site was not
    expect(second.json().summary.site.upgradePackage.action).toBe('repointed');
  });

  it('a failed distribution and a timeout fail the step, naming the distribution points; a failing script names its log', async () => {
    const { ws, target } = await stripped();
    const failed = await fakePowerShell(recorded({ distribution: [{ packageId: 'P0100123', distributionPoint: 'DP01.contoso.com', state: 'installed' }, { packageId: 'P0100123', distributionPoint: 'DP02.contoso.com', state: 'install failed' }] }));
    const a = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags], { env: { OSMEDIA_POWERSHELL: failed.file } });
    expect(a.exitCode).toBe(1);
    expect(a.stderr).toContain('error: OS upgrade package P0100123 (created) did not reach 1 distribution point(s): DP02.contoso.com (P0100123: install failed)');
    expect(a.stderr).toContain('fix: Check distmgr.log');

    const slow = await fakePowerShell(recorded({ timedOut: true, distribution: [{ packageId: 'P0100123', distributionPoint: 'DP01.contoso.com', state: 'install pending' }] }));
    const b = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags], { env: { OSMEDIA_POWERSHELL: slow.file } });
    expect(b.exitCode).toBe(1);
    expect(b.stderr).toContain('error: OS upgrade package P0100123 is still being distributed after 600 s: DP01.contoso.com (install pending)');

    const denied = await fakePowerShell(recorded({}), 1);
    const c = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags], { env: { OSMEDIA_POWERSHELL: denied.file } });
    expect(c.exitCode).toBe(1);
    expect(c.stderr).toMatch(/error: The ConfigMgr site script failed \(exit code 1\): .*Access denied/);
    expect(c.stderr).toMatch(/fix: Check the account's rights on site P01 .*powershell\.exe -NoProfile -ExecutionPolicy Bypass -File/);
  });

  it('without PowerShell and the console (here), the media is published, the script written, and the message says where to run it', async () => {
    const { ws, target } = await stripped();
    const result = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags], { env: { OSMEDIA_POWERSHELL: '' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`The media is published, but the ConfigMgr site operations need Windows PowerShell 5.1 with the Configuration Manager console, which this machine does not have. The script is written: ${path.join(ws, 'scripts', 'osmedia-site.ps1')}`);
    expect(result.stderr).toContain('-SiteCode P01 -ProviderMachineName cm01.contoso.com');
    expect((await readdir(target)).filter((n) => n !== 'current.json' && !n.startsWith('.'))).toHaveLength(1);
  });

  it('in a recipe, the task sequence is wired to the package the site created', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const fake = await fakePowerShell(recorded({}));
    await writeFile(path.join(dir, 'osmedia.yml'), `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\ndistribute:\n  targets: [share]\n  site:\n    siteCode: P01\n    provider: cm01\n    upgradePackageName: Win11 Enterprise\n    acceptLicense: true\n    distributionPointGroups: [All DPs]\ntaskSequence:\n  name: Upgrade to Windows 11 24H2\n`);
    const result = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--workspace', path.join(dir, 'ws'), '--json'], { env: { OSMEDIA_POWERSHELL: fake.file } });
    expect(result.exitCode, result.stderr).toBe(0);
    const xml = await readFile(path.join(dir, 'ws', 'ts', 'osmedia-upgrade.xml'), 'utf8');
    expect(xml).toContain('<variable name="OSDUpgradeInstallPackageID" property="InstallPackageID">P0100123</variable>');
    expect(xml).toContain('<reference package="P0100123"/>');
    expect(xml).not.toContain('XXX00000');
  });

  it('--emit-scripts writes the script for the version that would be published and publishes nothing; --dry-run says what would change on the site; no license, no site', async () => {
    const { ws, target } = await stripped();
    const out = path.join(await tempDir(), 'review');
    const emitted = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--emit-scripts', out]);
    expect(emitted.exitCode, emitted.stderr).toBe(0);
    expect(await readdir(out)).toEqual(['osmedia-site.ps1']);
    expect(await readdir(path.dirname(target))).not.toContain('share');
    const dry = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/^site P01 \(SMS Provider cm01\.contoso\.com\): OS upgrade package "Windows 11 24H2 Enterprise" → .*share\/26100\.1742-[0-9a-f]{8} \(version 10\.0\.26100\.1742\)/m);
    const noLicense = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags.filter((f) => f !== '--accept-license')]);
    expect(noLicense.exitCode).toBe(2);
    expect(noLicense.stderr).toContain('site.acceptLicense: the Windows license terms must be accepted explicitly');
  });
});

