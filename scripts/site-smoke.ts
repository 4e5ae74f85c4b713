// Runs osmedia's ConfigMgr site scripts for real against a stand-in ConfigurationManager module
// (scripts/site-stub, its cmdlets generated from Microsoft Learn's signatures) instead of a site:
// the scripts' quoting of hostile names, -File argument passing, ConvertTo-Json shapes, result files,
// ShouldProcess/-WhatIf and failure reporting, through the same code the distribute step runs
// (src/configmgr/run-site.ts). On Windows under Windows PowerShell 5.1 (.github/workflows/windows.yml);
// on Linux the same way under PowerShell 7 (.tools/pwsh/pwsh from scripts/ensure-deps.sh, or
// OSMEDIA_PWSH_TEST, or pwsh on PATH).   node scripts/site-smoke.ts <work dir>
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSiteOperations, SITE_SCRIPTS } from '../src/configmgr/run-site.ts';
import { packageDescription, SiteOptionsSchema, type SiteScriptInput } from '../src/configmgr/site.ts';
import { Workspace } from '../src/media/workspace.ts';
import { MediaError } from '../src/util/errors.ts';
import type { Reporter } from '../src/util/events.ts';
import { runTool } from '../src/util/exec.ts';
import { initialSiteState } from './site-stub/site-state.ts';

const [work] = process.argv.slice(2);
if (!work) throw new Error('usage: node scripts/site-smoke.ts <work dir>');
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const siteFile = path.join(work, 'site.json');
process.env.SMS_ADMIN_UI_PATH = path.join(repo, 'scripts', 'site-stub', 'bin');
process.env.OSMEDIA_STUB_SITE = siteFile;
// The stand-in CimCmdlets (no SMS Provider here) are found by autoloading from this folder.
process.env.PSModulePath = [path.join(repo, 'scripts', 'site-stub', 'modules'), process.env.PSModulePath].filter(Boolean).join(path.delimiter);
const pwsh = [process.env.OSMEDIA_PWSH_TEST, path.join(repo, '.tools', 'pwsh', 'pwsh')].find((p) => p && existsSync(p)) ?? 'pwsh';
const powershell = process.platform === 'win32' ? 'powershell.exe' : pwsh;
if (process.platform === 'win32') delete process.env.OSMEDIA_POWERSHELL;
else process.env.OSMEDIA_POWERSHELL = pwsh;

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`site-smoke: ${what}`);
  console.log(`ok: ${what}`);
};
interface StubPackage {
  Kind: string;
  PackageID: string;
  Name: string;
  PkgSourcePath: string;
  Version: string | null;
  Description: string | null;
  BinaryDelta: boolean;
  Multicast: string;
  SourceVersion: number;
}
const site = async () =>
  JSON.parse((await readFile(siteFile, 'utf8')).replace(/^\uFEFF/, '')) as {
    packages: StubPackage[];
    calls: { cmdlet: string; change: boolean }[];
    fail: string | null;
  };
const setFail = async (cmdlet: string | null) => writeFile(siteFile, JSON.stringify({ ...(await site()), fail: cmdlet }));

await mkdir(work, { recursive: true });
await writeFile(siteFile, JSON.stringify(initialSiteState()));

// Hostile values: quotes (typographic too), $(), backticks, semicolons and Unicode.
// Payloads that would create a canary file if anything ever ran them as code (harmless if it did).
const canary = path.join(work, 'canary-ran');
process.env.OSM_CANARY = canary;
const NAME = "O'B’s [W11] $(ni $env:OSM_CANARY) `; ü升";
const workspace = new Workspace(path.join(work, 'ws'));
const reporter: Reporter = {
  emit: (event) => {
    if (event.type === 'info') console.log(`  ${event.message}`);
  },
};
const input = (version: string, hash: string): SiteScriptInput => ({
  site: SiteOptionsSchema.parse({
    siteCode: 'P01',
    provider: 'cm01.contoso.com',
    upgradePackageName: NAME,
    imagePackageName: `${NAME} image`,
    acceptLicense: true,
    distributionPointGroups: ['All DPs'],
    distributionPoints: ['DP03.contoso.com'],
    waitDistribution: 120,
    multicast: { allow: true, encrypt: true, transferOnly: false },
  }),
  sourcePath: `C:\\osm share\\O'Brien $(ni $env:OSM_CANARY)\\${version}-${hash}`,
  version: `10.0.${version}`,
  description: packageDescription(hash, ['Enterprise'], ['KB5046617'], 'a1b2c3d4e5f6'),
});

// 1. A site without the packages: both are created, distributed, and waited for.
const first = await runSiteOperations(workspace, input('26100.2314', '1a2b3c4d'), reporter);
let state = await site();
const upgrade = state.packages.find((p) => p.Kind === 'upgrade')!;
check(
  first.upgradePackage.action === 'created' && first.upgradePackage.packageId === upgrade?.PackageID,
  `created the OS upgrade package ${first.upgradePackage.packageId}`,
);
check(
  upgrade.Name === NAME && upgrade.PkgSourcePath === input('26100.2314', '1a2b3c4d').sourcePath,
  'the hostile name and path arrived in the cmdlets exactly',
);
check(
  upgrade.Description === input('26100.2314', '1a2b3c4d').description && upgrade.Version === '10.0.26100.2314' && upgrade.BinaryDelta,
  'version, description and binary delta replication set last',
);
const image = state.packages.find((p) => p.Kind === 'image')!;
check(
  image?.PkgSourcePath.endsWith('\\sources\\install.wim') && image.Multicast === 'True/True/False',
  `created the OS image package ${image?.PackageID} with its multicast options`,
);
check(
  first.distribution.length === 6 && first.distribution.every((d) => d.state === 'installed'),
  `waited: ${first.distribution.map((d) => `${d.distributionPoint} ${d.packageId} ${d.state}`).join(', ')}`,
);

// 2. A re-run reads it back and changes nothing.
const changes = async () => (await site()).calls.filter((c) => c.change).length;
const callsBefore = (await site()).calls.length;
const changesBefore = await changes();
const second = await runSiteOperations(workspace, input('26100.2314', '1a2b3c4d'), reporter);
check(second.changes.length === 0 && (await changes()) === changesBefore, 'a re-run changes nothing');

// 3. -WhatIf on an apply script that would change something: nothing changes.
await runSiteOperations(workspace, input('26100.2400', '5e6f7a8b'), reporter); // a new version: repoint, reload, refresh
state = await site();
const applied = await changes();
await runTool({
  tool: 'PowerShell',
  file: powershell,
  args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', path.join(workspace.root, 'scripts', SITE_SCRIPTS.apply), '-WhatIf'],
});
check((await changes()) === applied, '-WhatIf changes nothing');
check(
  state.calls.slice(callsBefore).some((c) => c.cmdlet === 'Update-CMDistributionPoint'),
  `the new version repointed and refreshed: ${state.calls
    .slice(callsBefore)
    .filter((c) => c.change)
    .map((c) => c.cmdlet)
    .join(' | ')}`,
);

// 4. A cmdlet that fails (a missing right) stops the apply script at that step; fixed, a re-run finishes.
await setFail('Update-CMDistributionPoint');
const failed = await runSiteOperations(workspace, input('26100.2450', '9c0d1e2f'), reporter).then(
  () => undefined,
  (error: unknown) => error,
);
check(
  failed instanceof MediaError && /refresh the distribution points .*failed: Access denied/.test(failed.message),
  `a failing cmdlet is reported with its step: ${failed instanceof Error ? failed.message : String(failed)}`,
);
await setFail(null);
const resumed = await runSiteOperations(workspace, input('26100.2450', '9c0d1e2f'), reporter);
check(
  resumed.upgradePackage.action === 'refreshed' && resumed.changes.some((c) => c.startsWith('refresh the distribution points')),
  `the re-run finishes the update: ${resumed.changes.join('; ')}`,
);
check(!existsSync(canary), 'no hostile name, path or description ran as code (the canary file is absent)');
console.log('site-smoke: all checks passed');
