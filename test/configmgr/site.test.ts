// The ConfigMgr site operations, without PowerShell (site-pwsh.test.ts runs the same scripts for
// real under PowerShell 7.6 against the stand-in module):
// - every generated script (read, apply, status) is parsed with a tree-sitter PowerShell grammar,
//   with hostile values, and each value is read back from the parse tree exactly;
// - the decisions (create, repoint, refresh, distribute to whom, when the wait is over) are tested
//   against read results in the shape osmedia-site-read.ps1 writes them (ConvertTo-Json of the
//   cmdlets' and WMI classes' documented properties; written for these tests, not captured from a
//   real site): a missing package, an existing one, a half-finished earlier run, unknown names;
// - the distribute step runs end to end through a replaying PowerShell (fake-powershell.mjs) that
//   returns those results: created, repointed, unchanged, a failed distribution, a timeout, a failing
//   cmdlet, a failing read. None of the scripts has run on a real site.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { UTF8_BOM } from '../../src/configmgr/powershell.ts';
import { describePlan, distributionStates, nalServer, planSite, siteApplyScript, waitForDistribution, type Clock } from '../../src/configmgr/site-plan.ts';
import {
  imageDescription,
  packageDescription,
  siteReadScript,
  siteStatusScript,
  SiteOptionsSchema,
  SiteStateSchema,
  type SiteScriptInput,
} from '../../src/configmgr/site.ts';
import { MediaError } from '../../src/util/errors.ts';
import { readJson, repoRoot, runCli, sampleMedia, tempDir } from '../helpers.ts';
import { fakeSite, type Scenario } from './fake-site.ts';

const HOSTILE = [
  "O'Brien's upgrade",
  'Upgrade $(Remove-Item C:\\ -Recurse) `whoami`',
  'a; Stop-Computer -Force; "b"',
  'line one\nline two',
  'Ünïcödé 升级 \u{1F600} “typographic” ‘quotes’',
];

const site = (over: Record<string, unknown> = {}) =>
  SiteOptionsSchema.parse({
    siteCode: 'P01',
    provider: 'cm01.contoso.com',
    upgradePackageName: 'Windows 11 24H2 Enterprise',
    acceptLicense: true,
    distributionPointGroups: ['All DPs'],
    ...over,
  });
const SOURCE = '\\\\cm01\\sources$\\OS\\Win11\\26100.2314-1a2b3c4d';
const input = (over: Partial<SiteScriptInput> = {}, siteOver: Record<string, unknown> = {}): SiteScriptInput => ({
  site: site(siteOver),
  sourcePath: SOURCE,
  version: '10.0.26100.2314',
  description: packageDescription('1a2b3c4d', ['Enterprise'], ['KB5046617'], 'a1b2c3d4e5f6'),
  ...over,
});

// Read results, as ConvertTo-Json writes them.
const nal = (host: string) => `["Display=\\\\${host}\\"]MSWNET:["SMS_SITE=P01"]\\\\${host}\\`;
const GROUP = { name: 'All DPs', groupId: '{5C5F3D0E-7E7B-4E4E-9B1C-0D9C1F2A3B4C}' };
function state(over: Record<string, unknown> = {}) {
  return SiteStateSchema.parse({
    siteCode: 'P01',
    upgradePackage: null,
    imagePackage: null,
    groups: [GROUP],
    points: [],
    groupPackages: [],
    distribution: { packages: [], assigned: [], status: [] },
    ...over,
  });
}
const existing = (over: Record<string, unknown> = {}) => ({
  PackageID: 'P0100123',
  Name: 'Windows 11 24H2 Enterprise',
  PkgSourcePath: '\\\\cm01\\sources$\\OS\\Win11\\26100.2240-99887766',
  Version: '10.0.26100.2240',
  Description: 'osmedia 99887766: Enterprise; updates KB5044284',
  ...over,
});
const onAllDps = (id = 'P0100123', sourceVersion = 4, states: number[] = [0, 0]) => ({
  groupPackages: { GroupID: GROUP.groupId, PkgID: id }, // a lone object: ConvertTo-Json unrolls a one-element pipeline
  distribution: {
    packages: [{ PackageID: id, SourceVersion: sourceVersion }],
    assigned: [
      { PackageID: id, ServerNALPath: nal('DP01.contoso.com') },
      { PackageID: id, ServerNALPath: nal('DP02.contoso.com') },
    ],
    status: states.map((s, i) => ({ PackageID: id, ServerNALPath: nal(`DP0${i + 1}.contoso.com`), State: s, SourceVersion: sourceVersion })),
  },
});

let parser: Parser | undefined;
async function psParser(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(await Language.load(path.join(repoRoot, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm')));
  return parser;
}

/** The script parses without an error; returns its single-quoted literals, decoded. */
async function literals(script: string): Promise<string[]> {
  expect(script.startsWith(UTF8_BOM)).toBe(true);
  const tree = (await psParser()).parse(script.slice(1))!;
  expect(tree.rootNode.hasError).toBe(false);
  const found: string[] = [];
  const walk = (node: Node) => {
    if (node.type === 'verbatim_string_characters') found.push(node.text.slice(1, -1).replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1'));
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return found;
}

const commands = (script: string) =>
  script
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => /^ {8}\S/.test(l) && !l.includes('$result.completed'))
    .map((l) => l.trim());

describe('site scripts', () => {
  it('parse with a real PowerShell grammar with hostile names, paths, descriptions and DP names, which read back exactly', async () => {
    for (const value of HOSTILE) {
      const hostile = input(
        { sourcePath: `\\\\cm01\\sources$\\OS\\${value}`, description: value },
        {
          upgradePackageName: value.slice(0, 50),
          imagePackageName: value.slice(0, 50),
          distributionPointGroups: [value, 'All DPs'],
          distributionPoints: [value],
          multicast: { allow: true, encrypt: true, transferOnly: false },
        },
      );
      const read = await literals(siteReadScript(hostile));
      expect(read, JSON.stringify(value)).toEqual(expect.arrayContaining([value.slice(0, 50), value, 'All DPs']));
      await literals(siteStatusScript(hostile.site));
      // Every kind of step: create both packages and distribute them to the hostile names …
      const fresh = state({ groups: [{ name: value, groupId: '{1}' }, GROUP], points: [{ name: value, nalPath: nal('dp') }] });
      const created = await literals(siteApplyScript(hostile, planSite(hostile, fresh), '2026-11-21T00:00:00Z'));
      expect(created).toEqual(
        expect.arrayContaining([value.slice(0, 50), `\\\\cm01\\sources$\\OS\\${value}`, `\\\\cm01\\sources$\\OS\\${value}\\sources\\install.wim`, value]),
      );
      // … and repoint, reload and refresh existing ones.
      const old = state({
        upgradePackage: existing({ Name: value.slice(0, 50) }),
        imagePackage: existing({ PackageID: 'P0100124', Name: value.slice(0, 50) }),
        groups: [{ name: value, groupId: '{1}' }],
        ...onAllDps(),
      });
      const repointed = siteApplyScript(hostile, planSite(hostile, old), '2026-11-21T00:00:00Z');
      expect(await literals(repointed)).toContain(value);
      expect(repointed).toContain('Update-CMDistributionPoint -OperatingSystemInstallerId $UpgradeId');
    }
  });

  it('read the site with -DisableWildcardHandling, take no credentials, never extract an index, and report JSON', () => {
    const withImage = input({}, { imagePackageName: 'Win11 image', distributionPoints: ['DP03.contoso.com'] });
    const read = siteReadScript(withImage);
    for (const line of [
      'Get-CMOperatingSystemInstaller -Name $UpgradeName -DisableWildcardHandling',
      'Get-CMOperatingSystemImage -Name $ImageName -DisableWildcardHandling',
      'Get-CMDistributionPointGroup -Name $name -DisableWildcardHandling',
      'Get-CMDistributionPoint -SiteSystemServerName $name -DisableWildcardHandling',
      "Get-OsmediaRows 'SMS_DPGroupPackages'",
      "Get-OsmediaRows 'SMS_PackageStatusDistPointsSummarizer'",
      "$DistributionPoints = @('DP03.contoso.com')",
      "Write-Output ('OSMEDIA-RESULT ' + $json)",
    ])
      expect(read, line).toContain(line);
    expect(siteStatusScript(withImage.site)).toContain("Get-OsmediaDistribution @($PackageId -split ',' | Where-Object { $_ })");
    for (const script of [
      read,
      siteStatusScript(withImage.site),
      siteApplyScript(withImage, planSite(withImage, state({ points: [{ name: 'DP03.contoso.com', nalPath: nal('DP03.contoso.com') }] })), 'now'),
    ]) {
      expect(script).not.toMatch(/-Index\b/); // -Index would make ConfigMgr write a new install.wim into the source folder
      expect(script).not.toMatch(/-Credential\b|Get-Credential|SecureString|Password/);
    }
  });

  it('every ConfigMgr cmdlet the scripts call has its Microsoft Learn signature in the data file of the stand-in', async () => {
    const signatures = JSON.parse(await readFile(path.join(repoRoot, 'scripts', 'site-stub', 'cmdlets.json'), 'utf8')) as {
      cmdlets: Record<string, { page: string }>;
    };
    const i = input({}, { imagePackageName: 'Win11 image', distributionPoints: ['DP03.contoso.com'] });
    const points = [{ name: 'DP03.contoso.com', nalPath: nal('DP03.contoso.com') }];
    const scripts = [
      siteReadScript(i),
      siteStatusScript(i.site),
      siteApplyScript(i, planSite(i, state({ points })), 'now'),
      siteApplyScript(
        i,
        planSite(i, state({ points, upgradePackage: existing(), imagePackage: existing({ PackageID: 'P0100124', Name: 'Win11 image' }), ...onAllDps() })),
        'now',
      ),
    ];
    const called = new Set(scripts.flatMap((text) => text.match(/\b(?:Get|New|Set|Start|Update)-CM\w+|\bGet-CimInstance\b|\b(?:New|Get)-PSDrive\b/g) ?? []));
    expect([...called].sort()).toEqual([
      'Get-CMDistributionPoint',
      'Get-CMDistributionPointGroup',
      'Get-CMOperatingSystemImage',
      'Get-CMOperatingSystemInstaller',
      'Get-CimInstance',
      'Get-PSDrive',
      'New-CMOperatingSystemImage',
      'New-CMOperatingSystemInstaller',
      'New-PSDrive',
      'Set-CMOperatingSystemImage',
      'Set-CMOperatingSystemInstaller',
      'Start-CMContentDistribution',
      'Update-CMDistributionPoint',
    ]);
    for (const cmdlet of [...called].filter((c) => c.includes('-CM')))
      expect(signatures.cmdlets[cmdlet]?.page, cmdlet).toMatch(/^https:\/\/learn\.microsoft\.com\/powershell\/module\/configurationmanager\//);
  });

  it('describe the package within 127 characters, the content hash first; refuse a site without an explicit license acceptance', () => {
    expect(packageDescription('1a2b3c4d', ['Enterprise', 'Education'], ['KB5046617', 'KB5046619'], 'a1b2c3d4e5f6')).toBe(
      'osmedia 1a2b3c4d: Enterprise, Education; updates KB5046617, KB5046619; rev a1b2c3d4e5f6',
    );
    const long = packageDescription('1a2b3c4d', ['E'.repeat(200)], [], undefined);
    expect(long).toHaveLength(127);
    expect(long.startsWith('osmedia 1a2b3c4d: EEE')).toBe(true);
    expect(imageDescription(input({}, { multicast: { allow: true, encrypt: true, transferOnly: false } }))).toBe(
      'osmedia 1a2b3c4d multicast encrypted: Enterprise; updates KB5046617; rev a1b2c3d4e5f6',
    );
    expect(SiteOptionsSchema.safeParse({ siteCode: 'P01', provider: 'cm01', upgradePackageName: 'x' }).error?.issues[0]?.message).toMatch(
      /license terms must be accepted explicitly/,
    );
    expect(SiteOptionsSchema.safeParse({ siteCode: 'P01;', provider: 'cm01', upgradePackageName: 'x', acceptLicense: true }).success).toBe(false);
  });
});

describe('site plan (from recorded read results)', () => {
  const plan = (s: ReturnType<typeof state>, i = input()) => planSite(i, s);
  const script = (s: ReturnType<typeof state>, i = input()) => commands(siteApplyScript(i, planSite(i, s), 'now'));

  it('a missing package is created at the published folder, marked finished, then distributed to the named groups and DPs', () => {
    const s = state({ points: [{ name: 'DP03.contoso.com', nalPath: nal('DP03.contoso.com') }] });
    expect(plan(s).upgrade).toMatchObject({ action: 'created', packageId: null, distributeTo: ['group "All DPs"', 'DP03.contoso.com'] });
    expect(script(s)).toEqual([
      `$UpgradeId = (New-CMOperatingSystemInstaller -Name 'Windows 11 24H2 Enterprise' -Path '${SOURCE}').PackageID`,
      `Set-CMOperatingSystemInstaller -Id $UpgradeId -Version '10.0.26100.2314' -Description 'osmedia 1a2b3c4d: Enterprise; updates KB5046617; rev a1b2c3d4e5f6' -EnableBinaryDeltaReplication $true`,
      "Start-CMContentDistribution -OperatingSystemInstallerId $UpgradeId -DistributionPointGroupName @('All DPs') -DistributionPointName @('DP03.contoso.com') -DisableWildcardHandling",
    ]);
  });

  it('an existing package is repointed, reloaded and its distribution points refreshed before it is marked finished; a re-run changes nothing', () => {
    const s = state({ upgradePackage: existing(), ...onAllDps() });
    expect(plan(s).upgrade).toMatchObject({ action: 'repointed', packageId: 'P0100123', distributeTo: [], refresh: true });
    expect(script(s)).toEqual([
      `Set-CMOperatingSystemInstaller -Id $UpgradeId -Path '${SOURCE}'`,
      'Set-CMOperatingSystemInstaller -Id $UpgradeId -Reload',
      'Update-CMDistributionPoint -OperatingSystemInstallerId $UpgradeId',
      `Set-CMOperatingSystemInstaller -Id $UpgradeId -Version '10.0.26100.2314' -Description 'osmedia 1a2b3c4d: Enterprise; updates KB5046617; rev a1b2c3d4e5f6' -EnableBinaryDeltaReplication $true`,
    ]);
    expect(siteApplyScript(input(), plan(s), 'now')).toContain("$UpgradeId = 'P0100123'");
    const done = state({
      upgradePackage: existing({ PkgSourcePath: `${SOURCE}\\`, Version: '10.0.26100.2314', Description: input().description }),
      ...onAllDps(),
    });
    expect(plan(done).steps).toEqual([]);
    expect(plan(done).upgrade.action).toBe('unchanged');
    expect(describePlan(plan(done), 'P01')).toEqual([
      'site P01: nothing to change (the OS upgrade package "Windows 11 24H2 Enterprise" already points at this media and is distributed as named)',
    ]);
    expect(siteApplyScript(input(), plan(done), 'now')).toContain('# Nothing to change');
  });

  it('a run stopped after the repoint but before the finishing Set is finished by the next: reload, refresh, mark', () => {
    const half = state({ upgradePackage: existing({ PkgSourcePath: SOURCE }), ...onAllDps() });
    expect(plan(half).upgrade.action).toBe('refreshed');
    expect(script(half).map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual([
      'Set-CMOperatingSystemInstaller -Id $UpgradeId -Reload',
      'Update-CMDistributionPoint -OperatingSystemInstallerId $UpgradeId',
      'Set-CMOperatingSystemInstaller -Id $UpgradeId -Version',
    ]);
    // A mirror target (same folder, new content): the content hash in the description tells.
    const mirror = state({ upgradePackage: existing({ PkgSourcePath: SOURCE, Version: '10.0.26100.2314' }), ...onAllDps() });
    expect(plan(mirror).upgrade).toMatchObject({ action: 'refreshed', refresh: true });
  });

  it('a package on no distribution point is not refreshed; a newly named DP gets it, one that holds it does not; no targets at all is noted', () => {
    const nowhere = state({ upgradePackage: existing(), groups: [] });
    expect(script(nowhere).some((l) => l.startsWith('Update-CMDistributionPoint'))).toBe(false);
    expect(plan(nowhere).notes).toEqual([
      'the OS upgrade package "Windows 11 24H2 Enterprise" is on no distribution point: name distribution point groups or distribution points (--dp-group, --dp) to distribute it',
    ]);
    const dps = state({
      upgradePackage: existing({ PkgSourcePath: SOURCE, Version: '10.0.26100.2314', Description: input().description }),
      ...onAllDps(),
      points: [
        { name: 'dp01.CONTOSO.com', nalPath: nal('DP01.contoso.com').toLowerCase() },
        { name: 'DP03.contoso.com', nalPath: nal('DP03.contoso.com') },
      ],
    });
    const i = input({}, { distributionPoints: ['dp01.CONTOSO.com', 'DP03.contoso.com'] });
    expect(script(dps, i)).toEqual([
      "Start-CMContentDistribution -OperatingSystemInstallerId $UpgradeId -DistributionPointName @('DP03.contoso.com') -DisableWildcardHandling",
    ]);
  });

  it('an OS image package gets install.wim, multicast options in its finishing Set, and a change of options alone is a change', () => {
    const i = input({}, { imagePackageName: 'Win11 image', multicast: { allow: true, encrypt: false, transferOnly: true } });
    const s = state({ upgradePackage: existing({ PkgSourcePath: SOURCE, Version: '10.0.26100.2314', Description: i.description }), ...onAllDps() });
    expect(script(s, i)).toEqual([
      `$ImageId = (New-CMOperatingSystemImage -Name 'Win11 image' -Path '${SOURCE}\\sources\\install.wim').PackageID`,
      `Set-CMOperatingSystemImage -Id $ImageId -Version '10.0.26100.2314' -Description 'osmedia 1a2b3c4d multicast transfer-only: Enterprise; updates KB5046617; rev a1b2c3d4e5f6' -EnableBinaryDeltaReplication $true -MulticastAllow $true -MulticastEncrypt $false -MulticastTransferOnly $true`,
      "Start-CMContentDistribution -OperatingSystemImageId $ImageId -DistributionPointGroupName @('All DPs') -DisableWildcardHandling",
    ]);
    const image = existing({
      PackageID: 'P0100124',
      Name: 'Win11 image',
      PkgSourcePath: `${SOURCE}\\sources\\install.wim`,
      Version: '10.0.26100.2314',
      Description: imageDescription(i),
    });
    const same = state({
      ...s,
      upgradePackage: s.upgradePackage,
      imagePackage: image,
      groupPackages: [
        { GroupID: GROUP.groupId, PkgID: 'P0100123' },
        { GroupID: GROUP.groupId, PkgID: 'P0100124' },
      ],
    });
    expect(plan(same, i).steps).toEqual([]);
    const noMulticast = input({}, { imagePackageName: 'Win11 image' });
    expect(script(same, noMulticast).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([
      'Set-CMOperatingSystemImage -Id $ImageId',
      'Set-CMOperatingSystemImage -Id $ImageId',
    ]);
    expect(plan(same, noMulticast).image?.action).toBe('refreshed');
  });

  it('an unknown distribution point group or DP, or an answer from another site, stops before any change', () => {
    const unknown = state({ groups: [{ name: 'All DPs', groupId: null }], points: [{ name: 'DP09', nalPath: null }] });
    expect(() => plan(unknown, input({}, { distributionPoints: ['DP09'] }))).toThrow(MediaError);
    expect(() => plan(unknown, input({}, { distributionPoints: ['DP09'] }))).toThrow(
      'Site P01 has no distribution point group "All DPs" and no distribution point DP09; nothing was changed on the site',
    );
    expect(() => plan(state({ siteCode: 'P02' }))).toThrow('The site read answered for site P02, not P01');
  });
});

describe('distribution status and the wait', () => {
  const dist = (states: (number | undefined)[], sourceVersion = 5, rowVersion = 5) => ({
    packages: [{ PackageID: 'P0100123', SourceVersion: sourceVersion }],
    assigned: states.map((_, i) => ({ PackageID: 'P0100123', ServerNALPath: nal(`DP0${i + 1}.contoso.com`) })),
    status: states.flatMap((s, i) =>
      s === undefined ? [] : [{ PackageID: 'P0100123', ServerNALPath: nal(`DP0${i + 1}.contoso.com`), State: s, SourceVersion: rowVersion }],
    ),
  });
  const fakeClock = (): Clock & { slept: number[] } => {
    let now = 0;
    const slept: number[] = [];
    return {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      slept,
    };
  };

  it('reads states per distribution point: installed only at the current source version; no status yet and an older version are pending', () => {
    expect(nalServer(nal('DP01.contoso.com'))).toBe('DP01.contoso.com');
    expect(distributionStates(dist([0, 1, 3, undefined]))).toEqual([
      { packageId: 'P0100123', distributionPoint: 'DP01.contoso.com', state: 'installed', outcome: 'done', since: null, message: null },
      { packageId: 'P0100123', distributionPoint: 'DP02.contoso.com', state: 'install pending', outcome: 'pending', since: null, message: null },
      { packageId: 'P0100123', distributionPoint: 'DP03.contoso.com', state: 'install failed', outcome: 'failed', since: null, message: null },
      { packageId: 'P0100123', distributionPoint: 'DP04.contoso.com', state: 'no status yet', outcome: 'pending', since: null, message: null },
    ]);
    expect(distributionStates(dist([0], 6, 5))[0]).toMatchObject({ state: 'installed (source version 5, waiting for 6)', outcome: 'pending' });
    // ConvertTo-Json shapes: $null for an empty list, a lone object for a one-element list, null entries.
    const odd = SiteStateSchema.parse({
      siteCode: 'P01',
      upgradePackage: null,
      groups: null,
      points: [null],
      groupPackages: { GroupID: 'g', PkgID: 'P0100123' },
      distribution: { packages: null, assigned: [null], status: [] },
    });
    expect([odd.groups, odd.points, odd.groupPackages.length, odd.distribution.packages, odd.distribution.assigned, odd.imagePackage]).toEqual([
      [],
      [],
      1,
      [],
      [],
      null,
    ]);
  });

  it('polls every 30 s until nothing is pending, and stops at the timeout with what is still pending', async () => {
    const answers = [dist([1, undefined]), dist([0, 2]), dist([0, 0])];
    const clock = fakeClock();
    const seen: number[] = [];
    const done = await waitForDistribution(
      async () => answers.shift()!,
      600,
      (s) => seen.push(s.filter((x) => x.outcome === 'done').length),
      { clock },
    );
    expect(done).toMatchObject({ timedOut: false, polls: 3 });
    expect(seen).toEqual([0, 1, 2]);
    expect(clock.slept).toEqual([30_000, 30_000]);

    const slow = fakeClock();
    const out = await waitForDistribution(
      async () => dist([0, 1]),
      70,
      () => {},
      { clock: slow },
    );
    expect(out.timedOut).toBe(true);
    expect(out.polls).toBe(4); // at 0, 30, 60 and 70 s
    expect(slow.slept).toEqual([30_000, 30_000, 10_000]);
    expect(out.states[1]).toMatchObject({ distributionPoint: 'DP02.contoso.com', state: 'install pending' });

    const failed = await waitForDistribution(
      async () => dist([0, 3]),
      600,
      () => {},
      { clock: fakeClock() },
    );
    expect(failed).toMatchObject({ timedOut: false, polls: 1 });

    // Just sent to a group: no assignment yet is not "nothing to wait for".
    const assigning = [dist([]), dist([1]), dist([0])];
    expect(
      await waitForDistribution(
        async () => assigning.shift()!,
        600,
        () => {},
        { clock: fakeClock(), expectAssigned: true },
      ),
    ).toMatchObject({ timedOut: false, polls: 3 });
    expect(
      await waitForDistribution(
        async () => dist([]),
        600,
        () => {},
        { clock: fakeClock() },
      ),
    ).toMatchObject({ timedOut: false, polls: 1 });
    expect(
      await waitForDistribution(
        async () => dist([]),
        60,
        () => {},
        { clock: fakeClock(), expectAssigned: true },
      ),
    ).toMatchObject({ timedOut: true, states: [] });
  });
});

// The distribute step through the stand-in PowerShell (fake-site.ts).
async function stripped(): Promise<{ ws: string; target: string }> {
  const sample = await sampleMedia();
  const root = await tempDir();
  const ws = path.join(root, 'ws');
  expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
  expect((await runCli(['strip-indexes', '--workspace', ws, '--keep', 'Enterprise'])).exitCode).toBe(0);
  return { ws, target: path.join(root, 'share') };
}

const siteFlags = [
  '--site-code',
  'P01',
  '--provider',
  'cm01.contoso.com',
  '--upgrade-package-name',
  'Windows 11 24H2 Enterprise',
  '--accept-license',
  '--dp-group',
  'All DPs',
];
const readResult = (over: Record<string, unknown> = {}) => ({
  siteCode: 'P01',
  upgradePackage: null,
  imagePackage: null,
  groups: GROUP,
  points: [],
  groupPackages: [],
  distribution: { packages: [], assigned: [], status: [] },
  ...over,
});
const statusResult = (id: string, states: number[]) => ({ siteCode: 'P01', distribution: { ...onAllDps(id, 1, states).distribution } });

describe('distribute with a site (replayed)', () => {
  it('a missing package is created from the published version folder and waited for; a re-run reads it back and changes nothing', async () => {
    const { ws, target } = await stripped();
    const fake = await fakeSite({
      read: readResult(),
      createdIds: { upgrade: 'P0100123' },
      status: [statusResult('P0100123', [1, 2]), statusResult('P0100123', [0, 0])],
    });
    // --wait-distribution 1: two polls a second apart (the interval is capped by the time left).
    const first = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--wait-distribution', '1', '--json'], { env: fake.env });
    expect(first.exitCode, first.stderr).toBe(0);
    const version = (await readJson(path.join(target, 'current.json'))).version;
    const calls = await fake.calls();
    expect(calls.map((c) => c.script)).toEqual(['osmedia-site-read.ps1', 'osmedia-site-apply.ps1', 'osmedia-site-status.ps1', 'osmedia-site-status.ps1']);
    const scripts = path.join(ws, 'scripts');
    expect(calls[0]!.argv).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-File',
      path.join(scripts, 'osmedia-site-read.ps1'),
      '-ResultPath',
      expect.stringMatching(/site-result-\d+\.json$/),
    ]);
    expect(calls[2]!.argv).toContain('P0100123');
    expect(commands(calls[1]!.text)[0]).toBe(
      `$UpgradeId = (New-CMOperatingSystemInstaller -Name 'Windows 11 24H2 Enterprise' -Path '${path.join(target, version)}').PackageID`,
    );
    expect(commands(calls[1]!.text)[1]).toContain(`-Version '10.0.26100.1742' -Description 'osmedia ${version.split('-')[1]}: Enterprise; no updates'`);
    expect(await readFile(path.join(scripts, 'osmedia-site-apply.ps1'), 'utf8')).toBe(calls[1]!.text);
    const summary = first.json().summary.site;
    expect(summary).toMatchObject({ upgradePackage: { packageId: 'P0100123', action: 'created' }, licenseAccepted: true, waited: true, timedOut: false });
    expect(summary.changes).toHaveLength(3);
    expect(summary.distribution).toEqual([
      { packageId: 'P0100123', distributionPoint: 'DP01.contoso.com', state: 'installed', since: null, message: null },
      { packageId: 'P0100123', distributionPoint: 'DP02.contoso.com', state: 'installed', since: null, message: null },
    ]);
    expect(first.json().message).toMatch(/site P01: OS upgrade package P0100123 created, 3 change\(s\), 2\/2 distribution point\(s\) installed$/);

    // The site now has it, pointing at this version and marked finished: nothing to apply.
    const description = commands(calls[1]!.text)[1]!.match(/-Description '([^']*)'/)![1];
    const again = await fakeSite({
      read: readResult({
        upgradePackage: existing({ PkgSourcePath: path.join(target, version), Version: '10.0.26100.1742', Description: description }),
        ...onAllDps(),
      }),
    });
    const second = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--json'], { env: again.env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect((await again.calls()).map((c) => c.script)).toEqual(['osmedia-site-read.ps1']);
    expect(second.json().result).toBe('skipped'); // an external step with nothing to do
    expect(second.json().summary.site).toMatchObject({ upgradePackage: { packageId: 'P0100123', action: 'unchanged' }, changes: [], waited: false });
  });

  it('an existing package elsewhere is repointed at the new version', async () => {
    const { ws, target } = await stripped();
    const fake = await fakeSite({ read: readResult({ upgradePackage: existing(), ...onAllDps() }) });
    const result = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--json'], { env: fake.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json().summary.site.upgradePackage).toMatchObject({ packageId: 'P0100123', action: 'repointed' });
    expect(commands((await fake.calls())[1]!.text).map((l) => l.split(' ')[0])).toEqual([
      'Set-CMOperatingSystemInstaller',
      'Set-CMOperatingSystemInstaller',
      'Update-CMDistributionPoint',
      'Set-CMOperatingSystemInstaller',
    ]);
  });

  it('a failed distribution, a timeout, a failing cmdlet and a failing read fail the step and say what to do', async () => {
    const { ws, target } = await stripped();
    const run = async (scenario: Scenario, extra: string[] = []) =>
      runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, ...extra], { env: (await fakeSite(scenario)).env });

    const failed = await run({ read: readResult({ upgradePackage: existing(), ...onAllDps() }), status: [statusResult('P0100123', [0, 3])] }, [
      '--wait-distribution',
      '600',
    ]);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain(
      'error: OS upgrade package P0100123 (repointed) did not reach 1 distribution point(s): DP02.contoso.com P0100123: install failed',
    );
    expect(failed.stderr).toContain('fix: Check distmgr.log');

    const slow = await run({ read: readResult({ upgradePackage: existing(), ...onAllDps() }), status: [statusResult('P0100123', [0, 1])] }, [
      '--wait-distribution',
      '1',
    ]);
    expect(slow.exitCode).toBe(1);
    expect(slow.stderr).toContain('error: OS upgrade package P0100123 is still being distributed after 1 s: DP02.contoso.com (install pending)');

    const cmdlet = await run({
      read: readResult({ upgradePackage: existing(), ...onAllDps() }),
      apply: {
        exit: 1,
        result: {
          siteCode: 'P01',
          whatIf: false,
          steps: 4,
          completed: 2,
          failed: { step: 'refresh the distribution points that hold the OS upgrade package "Windows 11 24H2 Enterprise"', error: 'Access denied' },
          upgradePackageId: 'P0100123',
          imagePackageId: null,
        },
      },
    });
    expect(cmdlet.exitCode).toBe(1);
    expect(cmdlet.stderr).toContain(
      'error: ConfigMgr site P01: "refresh the distribution points that hold the OS upgrade package "Windows 11 24H2 Enterprise"" failed: Access denied',
    );
    expect(cmdlet.stderr).toMatch(
      /fix: Done before it: point the OS upgrade package .*; reload the image properties .*re-run this step: it reads the site again/,
    );

    const silent = await run({
      read: readResult({ upgradePackage: existing(), ...onAllDps() }),
      apply: { result: { siteCode: 'P01', whatIf: false, steps: 4, completed: 3, failed: null, upgradePackageId: 'P0100123' } },
    });
    expect(silent.exitCode).toBe(1);
    expect(silent.stderr).toContain('the apply script completed 3 of 4 change(s) without reporting a failure');

    const denied = await run({ read: { exit: 1, stderr: 'Get-CMOperatingSystemInstaller : Access denied' } });
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toMatch(/error: The ConfigMgr site script osmedia-site-read\.ps1 failed \(exit code 1\): .*Access denied/);
    expect(denied.stderr).toMatch(/fix: Check the account's rights on site P01 .*powershell\.exe -NoProfile -ExecutionPolicy Bypass -File/);

    const unknown = await run({ read: readResult({ groups: [{ name: 'All DPs', groupId: null }] }) });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('Site P01 has no distribution point group "All DPs"; nothing was changed on the site');
  });

  it('without PowerShell and the console (here), the media is published, the read script written, and the message says where to run it', async () => {
    const { ws, target } = await stripped();
    const result = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags], { env: { OSMEDIA_POWERSHELL: '' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `The media is published, but the ConfigMgr site operations need Windows PowerShell 5.1 with the Configuration Manager console, which this machine does not have. The read script is written: ${path.join(ws, 'scripts', 'osmedia-site-read.ps1')}`,
    );
    expect(result.stderr).toContain('-SiteCode P01 -ProviderMachineName cm01.contoso.com -ResultPath site-state.json');
    expect((await readdir(target)).filter((n) => n !== 'current.json' && !n.startsWith('.'))).toHaveLength(1);
  });

  it('in a recipe, the task sequence is wired to the package the site created', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const fake = await fakeSite({ read: readResult(), createdIds: { upgrade: 'P0100123' } });
    await writeFile(
      path.join(dir, 'osmedia.yml'),
      `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\ndistribute:\n  targets: [share]\n  site:\n    siteCode: P01\n    provider: cm01\n    upgradePackageName: Win11 Enterprise\n    acceptLicense: true\n    distributionPointGroups: [All DPs]\ntaskSequence:\n  name: Upgrade to Windows 11 24H2\n`,
    );
    const result = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--workspace', path.join(dir, 'ws'), '--json'], { env: fake.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const xml = await readFile(path.join(dir, 'ws', 'ts', 'osmedia-upgrade.xml'), 'utf8');
    expect(xml).toContain('<variable name="OSDUpgradeInstallPackageID" property="InstallPackageID">P0100123</variable>');
    expect(xml).toContain('<reference package="P0100123"/>');
    expect(xml).not.toContain('XXX00000');
  });

  it('--emit-scripts and --dry-run publish and change nothing; with --site-state they plan from a read made elsewhere; no license, no site', async () => {
    const { ws, target } = await stripped();
    const out = path.join(await tempDir(), 'review');
    const emitted = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--emit-scripts', out], {
      env: { OSMEDIA_POWERSHELL: '' },
    });
    expect(emitted.exitCode, emitted.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['osmedia-site-read.ps1', 'osmedia-site-status.ps1']);
    expect(emitted.stdout).toContain('the exact changes depend on what the site has');
    expect(await readdir(path.dirname(target))).not.toContain('share');

    const stateFile = path.join(await tempDir(), 'site-state.json');
    await writeFile(stateFile, `\uFEFF${JSON.stringify(readResult({ upgradePackage: existing(), ...onAllDps() }))}`);
    const planned = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--emit-scripts', out, '--site-state', stateFile], {
      env: { OSMEDIA_POWERSHELL: '' },
    });
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['osmedia-site-apply.ps1', 'osmedia-site-read.ps1', 'osmedia-site-status.ps1']);
    expect(commands(await readFile(path.join(out, 'osmedia-site-apply.ps1'), 'utf8'))[0]).toMatch(
      /^Set-CMOperatingSystemInstaller -Id \$UpgradeId -Path '.*share\/26100\.1742-[0-9a-f]{8}'$/,
    );

    const dry = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--dry-run', '--site-state', stateFile], {
      env: { OSMEDIA_POWERSHELL: '' },
    });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^site P01: point the OS upgrade package "Windows 11 24H2 Enterprise" at .*share\/26100\.1742-[0-9a-f]{8}$/m);
    expect(dry.stdout).toMatch(/^site P01: refresh the distribution points that hold the OS upgrade package/m);
    const missing = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--dry-run', '--site-state', `${stateFile}.missing`]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`error: Cannot read the site state file ${stateFile}.missing (ENOENT)`);
    await writeFile(`${stateFile}.txt`, 'P01 has nothing');
    const garbled = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--dry-run', '--site-state', `${stateFile}.txt`]);
    expect(garbled.stderr).toContain('is not JSON');
    expect(garbled.stderr).toMatch(
      /fix: Pass the file osmedia-site-read\.ps1 wrote with -ResultPath, unchanged: powershell\.exe .* -ResultPath site-state\.json/,
    );
    const blind = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags, '--dry-run'], { env: { OSMEDIA_POWERSHELL: '' } });
    expect(blind.stdout).toMatch(
      /^site P01 \(SMS Provider cm01\.contoso\.com\): OS upgrade package "Windows 11 24H2 Enterprise" → .*share\/26100\.1742-[0-9a-f]{8} \(version 10\.0\.26100\.1742\)/m,
    );
    expect(await readdir(path.dirname(target))).not.toContain('share');

    const noLicense = await runCli(['distribute', '--workspace', ws, '--target', target, ...siteFlags.filter((f) => f !== '--accept-license')]);
    expect(noLicense.exitCode).toBe(2);
    expect(noLicense.stderr).toContain('--accept-license: the Windows license terms must be accepted explicitly');
  });
});

describe('the package description after run --force', () => {
  it('names the content that stands at the package source, not the rebuilt media, so the site sees no change', async () => {
    const { siteInput } = await import('../../src/steps/distribute.ts');
    const manifest = {
      fingerprint: 'bbbbbbbb' + '0'.repeat(56),
      history: [],
      updates: [],
      installWim: { images: [{ version: '10.0.26100.2314', editionId: 'Enterprise', name: 'Windows 11 Enterprise' }] },
    } as unknown as Parameters<typeof siteInput>[0];
    const site = { siteCode: 'P01', provider: 'cm01', upgradePackageName: 'Win11', acceptLicense: true } as unknown as Parameters<typeof siteInput>[1];
    // The version that stood (its name ends with its content hash) is what the description names.
    expect(siteInput(manifest, site, '\\\\cm01\\src\\26100.2314-aaaaaaaa', 'aaaaaaaa').description).toMatch(/aaaaaaaa/);
    expect(siteInput(manifest, site, '\\\\cm01\\src\\26100.2314-aaaaaaaa', 'aaaaaaaa').description).not.toMatch(/bbbbbbbb/);
    expect(siteInput(manifest, site, '\\\\cm01\\src\\x').description).toMatch(/bbbbbbbb/);
  });
});
