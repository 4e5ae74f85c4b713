// ConfigMgr site operations after a publish, in three small PowerShell scripts that osmedia writes
// into the workspace (reviewable artifacts) and runs with Windows PowerShell 5.1 where the console is:
//   osmedia-site-read.ps1    reads what the site has: the packages by name, the named distribution
//                            point groups and distribution points, where the packages are assigned
//                            and their distribution status. It changes nothing.
//   osmedia-site-apply.ps1   the changes osmedia decided from that reading (site-plan.ts), one
//                            literal cmdlet call after another, no decisions of its own.
//   osmedia-site-status.ps1  the distribution status of given package IDs, polled while waiting.
// The decisions (create or repoint, reload, refresh, distribute to whom, when the wait is over) are
// TypeScript, tested against recorded results of the read. Every value in a script is a
// single-quoted literal (psString); the scripts never take credentials: they run as the runner's
// account, whose rights on the site decide what they may do.
import { z } from 'zod';
import { ENTER_SITE, psFile, psString, RESULT_OUTPUT } from './powershell.ts';
import { list } from '../steps/fields.ts';

export const SiteOptionsSchema = z.strictObject({
  /** The site code, e.g. P01. */
  siteCode: z
    .string()
    .regex(/^[A-Za-z0-9]{3}$/, 'a site code is three letters or digits, e.g. P01')
    .meta({
      flag: 'site-code',
      placeholder: 'CODE',
      example: 'P01',
      description: 'ConfigMgr site code: after publishing, create or repoint the OS upgrade package and distribute it (needs the console on the machine)',
    }),
  /** The SMS Provider host (the site server, usually). */
  provider: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9.-]+$/, 'a host name (letters, digits, dots, hyphens)')
    .meta({ flag: 'provider', placeholder: 'HOST', example: 'cm01.corp.example', description: 'the SMS Provider host (with --site-code)' }),
  /** The OS upgrade package's name in the console (at most 50 characters). */
  upgradePackageName: z.string().min(1).max(50, 'ConfigMgr allows at most 50 characters in a package name').meta({
    flag: 'upgrade-package-name',
    placeholder: 'NAME',
    example: '"Windows 11 24H2 Enterprise"',
    description: "the OS upgrade package's name in the console (at most 50 characters)",
  }),
  /** Optional: an OS image package from sources/install.wim, with this name. */
  imagePackageName: z
    .string()
    .min(1)
    .max(50, 'ConfigMgr allows at most 50 characters in a package name')
    .optional()
    .meta({ flag: 'image-package-name', placeholder: 'NAME', description: 'also an OS image package from sources/install.wim, with this name' }),
  /** Must be true: the Windows license terms are accepted for this package (ConfigMgr 2107 and later asks). */
  acceptLicense: z
    .literal(true, {
      error: 'the Windows license terms must be accepted explicitly (acceptLicense: true, --accept-license) before osmedia creates an OS upgrade package',
    })
    .meta({ flag: 'accept-license', description: 'accept the Windows license terms for the package (required with --site-code)' }),
  distributionPointGroups: list(z.string().min(1))
    .default([])
    .meta({ flag: 'dp-group', formerInputs: ['dp-groups'], placeholder: 'NAME', description: 'a distribution point group to distribute to (repeatable)' }),
  distributionPoints: list(z.string().min(1))
    .default([])
    .meta({ flag: 'dp', formerInputs: ['dps'], placeholder: 'HOST', description: 'a distribution point to distribute to (repeatable)' }),
  /** Seconds to wait for the distribution to finish (0: do not wait). */
  waitDistribution: z.number().int().min(0).default(0).meta({
    flag: 'wait-distribution',
    placeholder: 'SECONDS',
    description: 'seconds to wait for the distribution to finish, reporting each distribution point (default 0)',
  }),
  /** OS image package multicast options. */
  multicast: z.strictObject({ allow: z.boolean().default(false), encrypt: z.boolean().default(false), transferOnly: z.boolean().default(false) }).optional(),
});
export type SiteOptions = z.infer<typeof SiteOptionsSchema>;

export interface SiteScriptInput {
  site: SiteOptions;
  /** The package source folder ConfigMgr reads (the published version folder, or the mirror). */
  sourcePath: string;
  /** The media build, e.g. 10.0.26100.2314 (the package version). */
  version: string;
  /** At most 127 characters: the content hash first, then editions, updates, recipe revision. The
   *  content hash makes it the marker of a finished update: it is set last (site-plan.ts). */
  description: string;
}

const MAX_DESCRIPTION = 127;

/** The package description: `osmedia <content hash>: editions; updates; revision`, within ConfigMgr's
 *  127 characters. The hash comes first so that shortening never cuts it. */
export function packageDescription(content: string, editions: string[], updates: string[], revision: string | undefined): string {
  const head = `osmedia ${content}: `;
  const parts = [editions.join(', '), updates.length ? `updates ${updates.join(', ')}` : 'no updates', revision ? `rev ${revision}` : ''].filter(Boolean);
  const text = head + parts.join('; ');
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/** What the image package's description says of its multicast options (so a change is a change). */
export function multicastTag(multicast: SiteOptions['multicast']): string {
  if (!multicast?.allow) return '';
  return ['multicast', multicast.encrypt ? 'encrypted' : '', multicast.transferOnly ? 'transfer-only' : ''].filter(Boolean).join(' ');
}

/** The image package's description: the upgrade package's, with the multicast options after the hash
 *  (where shortening never cuts them either). */
export function imageDescription(input: SiteScriptInput): string {
  const tag = multicastTag(input.site.multicast);
  if (!tag) return input.description;
  const text = input.description.replace(/^(osmedia [^\s:]+)/, `$1 ${tag}`);
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

export const psList = (values: readonly string[]) => (values.length === 0 ? '@()' : `@(${values.map(psString).join(', ')})`);

/** What the site operations will do, in words, when the site cannot be read from here. */
export function describeSiteOperations(input: SiteScriptInput): string[] {
  const { site } = input;
  const lines = [
    `site ${site.siteCode} (SMS Provider ${site.provider}): OS upgrade package "${site.upgradePackageName}" → ${input.sourcePath} (version ${input.version}); created if missing, otherwise repointed and its image properties reloaded; binary delta replication on`,
  ];
  if (site.imagePackageName)
    lines.push(
      `site ${site.siteCode}: OS image package "${site.imagePackageName}" → ${input.sourcePath}\\sources\\install.wim${multicastTag(site.multicast) ? ` (${multicastTag(site.multicast)})` : ''}`,
    );
  const targets = [...site.distributionPointGroups.map((g) => `DP group "${g}"`), ...site.distributionPoints.map((d) => `DP ${d}`)];
  lines.push(
    `site ${site.siteCode}: distribute to ${targets.length ? targets.join(', ') : 'no new distribution points'}; refresh the distribution points that already hold it${site.waitDistribution ? `; wait up to ${site.waitDistribution} s` : ''}`,
  );
  return lines;
}

/** The parameters every site script takes: the site and provider default to the recipe's. */
export function siteParameters(site: SiteOptions, options: { whatIf?: boolean; packageIds?: boolean } = {}): string[] {
  return [
    options.whatIf ? '[CmdletBinding(SupportsShouldProcess = $true)]' : '[CmdletBinding()]',
    'param(',
    `    [string] $SiteCode = ${psString(site.siteCode)},`,
    `    [string] $ProviderMachineName = ${psString(site.provider)},`,
    // -File passes every argument as one string: several IDs come comma-separated.
    ...(options.packageIds ? ["    [string] $PackageId = '',"] : []),
    '    [string] $ResultPath',
    ')',
    "$ErrorActionPreference = 'Stop'",
  ];
}

/** Reads the distribution of package IDs: the packages' source versions, the distribution points they
 *  are assigned to, each one's status since its SummaryDate (SMS_PackageStatusDistPointsSummarizer:
 *  State, SourceVersion, SummaryDate, per the class reference), and the distribution points' last
 *  status messages (SMS_DistributionDPStatus: MessageID, MessageState, LastUpdateDate, InsString1-2)
 *  for the failure summary. WMI only. Datetimes go out as UTC ISO 8601 text: ConvertTo-Json writes a
 *  DateTime as "\/Date(…)\/" in 5.1 and as local ISO text in 7. */
const DISTRIBUTION_QUERY: readonly string[] = [
  '$Namespace = "root\\SMS\\site_$SiteCode"',
  'function Get-OsmediaRows([string] $ClassName, [string] $Filter, [string[]] $Property) {',
  '    foreach ($row in @(Get-CimInstance -ComputerName $ProviderMachineName -Namespace $Namespace -ClassName $ClassName -Filter $Filter)) {',
  '        $out = [ordered]@{}',
  '        foreach ($name in $Property) {',
  '            $value = $row.$name',
  "            if ($value -is [datetime]) { $value = $value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }",
  '            $out[$name] = $value',
  '        }',
  '        [pscustomobject]$out',
  '    }',
  '}',
  'function Get-OsmediaDistribution([string[]] $Ids) {',
  '    $packages = @(); $assigned = @(); $status = @(); $messages = @()',
  '    foreach ($id in $Ids) {',
  '        if ($id -notmatch \'^[A-Za-z0-9]{8}$\') { throw "Not a package ID: $id" }',
  "        $packages += @(Get-OsmediaRows 'SMS_PackageBaseclass' \"PackageID='$id'\" 'PackageID', 'SourceVersion')",
  "        $assigned += @(Get-OsmediaRows 'SMS_DistributionPoint' \"PackageID='$id'\" 'PackageID', 'ServerNALPath')",
  "        $status += @(Get-OsmediaRows 'SMS_PackageStatusDistPointsSummarizer' \"PackageID='$id'\" 'PackageID', 'ServerNALPath', 'State', 'SourceVersion', 'SummaryDate')",
  "        $messages += @(Get-OsmediaRows 'SMS_DistributionDPStatus' \"PackageID='$id'\" 'PackageID', 'NalPath', 'MessageID', 'MessageState', 'LastUpdateDate', 'InsString1', 'InsString2')",
  '    }',
  '    [ordered]@{ packages = $packages; assigned = $assigned; status = $status; messages = $messages }',
  '}',
];

/** osmedia-site-read.ps1: what the site has. Changes nothing. */
export function siteReadScript(input: SiteScriptInput): string {
  const { site } = input;
  return psFile([
    '#Requires -Version 5.1',
    '# Generated by osmedia: reads what the ConfigMgr site has for this media. It changes nothing; osmedia decides',
    '# from its result what osmedia-site-apply.ps1 changes. Run with Windows PowerShell 5.1 on a machine with',
    '# the Configuration Manager console; it takes no credentials.',
    ...siteParameters(site),
    `$UpgradeName = ${psString(site.upgradePackageName)}`,
    `$ImageName = ${site.imagePackageName ? psString(site.imagePackageName) : '$null'}`,
    `$DistributionPointGroups = ${psList(site.distributionPointGroups)}`,
    `$DistributionPoints = ${psList(site.distributionPoints)}`,
    ...DISTRIBUTION_QUERY,
    ...ENTER_SITE,
    'try {',
    "    $fields = 'PackageID', 'Name', 'PkgSourcePath', 'Version', 'Description'",
    '    $upgrade = Get-CMOperatingSystemInstaller -Name $UpgradeName -DisableWildcardHandling | Select-Object -First 1 -Property $fields',
    '    $image = $null',
    '    if ($ImageName) { $image = Get-CMOperatingSystemImage -Name $ImageName -DisableWildcardHandling | Select-Object -First 1 -Property $fields }',
    '    $groups = @(foreach ($name in $DistributionPointGroups) { [ordered]@{ name = $name; groupId = (Get-CMDistributionPointGroup -Name $name -DisableWildcardHandling | Select-Object -First 1).GroupID } })',
    '    $points = @(foreach ($name in $DistributionPoints) { [ordered]@{ name = $name; nalPath = (Get-CMDistributionPoint -SiteSystemServerName $name -DisableWildcardHandling | Select-Object -First 1).NALPath } })',
    '    $ids = @(@($upgrade, $image) | Where-Object { $_ } | ForEach-Object { $_.PackageID })',
    "    $groupPackages = @(foreach ($id in $ids) { Get-OsmediaRows 'SMS_DPGroupPackages' \"PkgID='$id'\" 'GroupID', 'PkgID' })",
    '    $result = [ordered]@{ siteCode = $SiteCode; upgradePackage = $upgrade; imagePackage = $image; groups = $groups; points = $points; groupPackages = $groupPackages; distribution = (Get-OsmediaDistribution $ids) }',
    '} finally {',
    '    Pop-Location',
    '}',
    ...RESULT_OUTPUT,
  ]);
}

/** osmedia-site-status.ps1 -PackageId ID[,ID]: the distribution status, polled while waiting. WMI only. */
export function siteStatusScript(site: SiteOptions): string {
  return psFile([
    '#Requires -Version 5.1',
    '# Generated by osmedia: the distribution status of the packages given with -PackageId (comma-separated).',
    '# It changes nothing.',
    ...siteParameters(site, { packageIds: true }),
    ...DISTRIBUTION_QUERY,
    "$result = [ordered]@{ siteCode = $SiteCode; distribution = (Get-OsmediaDistribution @($PackageId -split ',' | Where-Object { $_ })) }",
    ...RESULT_OUTPUT,
  ]);
}

// What the scripts report (their result file, or their OSMEDIA-RESULT line). PowerShell 5.1's
// ConvertTo-Json writes a one-element array as it is, but a $null or a lone object where a list was
// expected is taken as an empty or one-element list, and null entries are dropped.
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v: unknown) => (v === null || v === undefined ? [] : Array.isArray(v) ? (v as unknown[]).filter((x) => x !== null) : [v]), z.array(item));
const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

export const CmPackageSchema = z.object({
  PackageID: z.string(),
  Name: z.string(),
  PkgSourcePath: nullableString,
  Version: nullableString,
  Description: nullableString,
});
export type CmPackage = z.infer<typeof CmPackageSchema>;

export const DistributionSchema = z.object({
  packages: listOf(z.object({ PackageID: z.string(), SourceVersion: z.number().int() })),
  assigned: listOf(z.object({ PackageID: z.string(), ServerNALPath: z.string() })),
  status: listOf(
    z.object({
      PackageID: z.string(),
      ServerNALPath: z.string(),
      State: z.number().int(),
      SourceVersion: z.number().int().nullish(),
      SummaryDate: z.string().nullish(),
    }),
  ),
  /** The distribution points' last status messages (older read results have none). */
  messages: listOf(
    z.object({
      PackageID: z.string(),
      NalPath: z.string(),
      MessageID: z.number().int(),
      MessageState: z.number().int().nullish(),
      LastUpdateDate: nullableString,
      InsString1: nullableString,
      InsString2: nullableString,
    }),
  ).optional(),
});
export type Distribution = z.infer<typeof DistributionSchema>;

export const SiteStateSchema = z.object({
  siteCode: z.string(),
  upgradePackage: CmPackageSchema.nullish().transform((v) => v ?? null),
  imagePackage: CmPackageSchema.nullish().transform((v) => v ?? null),
  groups: listOf(z.object({ name: z.string(), groupId: nullableString })),
  points: listOf(z.object({ name: z.string(), nalPath: nullableString })),
  groupPackages: listOf(z.object({ GroupID: z.string(), PkgID: z.string() })),
  distribution: DistributionSchema,
});
export type SiteState = z.infer<typeof SiteStateSchema>;

export const StatusResultSchema = z.object({ siteCode: z.string(), distribution: DistributionSchema });

/** Finds the OSMEDIA-RESULT line in a script's output. */
export function resultLine(output: string): unknown {
  const line = output
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith('OSMEDIA-RESULT '));
  return line === undefined ? undefined : JSON.parse(line.slice('OSMEDIA-RESULT '.length));
}
