// What to change on the site, decided from what osmedia-site-read.ps1 found (SiteState), and the
// straight-line osmedia-site-apply.ps1 that makes those changes. Idempotent create-or-update:
//   missing package    New-CM… -Name -Path, then the common tail
//   changed package    Set-CM… -Path (when the folder moved), -Reload (image properties), and
//                      Update-CMDistributionPoint when distribution points already hold it
//   common tail        Set-CM… -Version -Description -EnableBinaryDeltaReplication (+ multicast):
//                      the description starts with the media's content hash, so this last Set is
//                      the marker of a finished update. A run stopped before it is redone in full
//                      by the next run; one stopped after it has nothing left but distribution.
//   distribution       Start-CMContentDistribution to the named groups and distribution points that
//                      do not hold the package yet (read from the site, so a re-run adds nothing).
// Unknown group or distribution point names stop the step before anything changes.
import { MediaError } from '../util/errors.ts';
import { ENTER_SITE, psFile, psString, RESULT_OUTPUT } from './powershell.ts';
import { imageDescription, psList, siteParameters, type CmPackage, type Distribution, type SiteScriptInput, type SiteState } from './site.ts';
import { z } from 'zod';

export type PackageAction = 'created' | 'repointed' | 'refreshed' | 'unchanged';

export interface SiteStep {
  /** The object the step changes (ShouldProcess target). */
  target: string;
  /** What it does, in words (ShouldProcess action, progress and errors). */
  what: string;
  /** The PowerShell statements, values as literals. */
  lines: string[];
}

export interface PackagePlan {
  kind: 'upgrade' | 'image';
  name: string;
  /** Known before the run for an existing package; a created one's comes from the apply result. */
  packageId: string | null;
  action: PackageAction;
  sourcePath: string;
  /** Labels of the groups and distribution points it is newly distributed to. */
  distributeTo: string[];
  /** Whether the distribution points that hold it are refreshed. */
  refresh: boolean;
}

export interface SitePlan {
  upgrade: PackagePlan;
  image: PackagePlan | null;
  steps: SiteStep[];
  /** Things worth saying that change nothing (e.g. a package on no distribution point). */
  notes: string[];
}

const KINDS = {
  upgrade: { noun: 'CMOperatingSystemInstaller', idParameter: 'OperatingSystemInstallerId', variable: '$UpgradeId', label: 'OS upgrade package' },
  image: { noun: 'CMOperatingSystemImage', idParameter: 'OperatingSystemImageId', variable: '$ImageId', label: 'OS image package' },
} as const;

/** A Windows path compared as ConfigMgr would: case-insensitive, no trailing separator. */
const samePath = (a: string | null, b: string) => (a ?? '').replace(/[\\/]+$/, '').toLowerCase() === b.replace(/[\\/]+$/, '').toLowerCase();
/** NAL paths name a server the same way whatever their case. */
const sameNal = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The server in a NAL path: ["Display=\\DP01.contoso.com\"]MSWNET:["SMS_SITE=P01"]\\DP01.contoso.com\ → DP01.contoso.com */
export function nalServer(nalPath: string): string {
  return /\\\\([^\\"\]]+)/.exec(nalPath)?.[1] ?? nalPath;
}

function planPackage(
  kind: 'upgrade' | 'image',
  name: string,
  existing: CmPackage | null,
  input: SiteScriptInput,
  state: SiteState,
  description: string,
  commitExtra: string[],
): { plan: PackagePlan; steps: SiteStep[] } {
  const k = KINDS[kind];
  const sep = input.sourcePath.includes('\\') ? '\\' : '/';
  const sourcePath = kind === 'upgrade' ? input.sourcePath : `${input.sourcePath}${sep}sources${sep}install.wim`;
  const id = existing?.PackageID ?? null;
  const steps: SiteStep[] = [];
  const label = `${k.label} "${name}"`;
  let action: PackageAction = 'unchanged';
  let refresh = false;
  if (!existing) {
    action = 'created';
    steps.push({
      target: name,
      what: `create the ${label} from ${sourcePath}`,
      lines: [`${k.variable} = (New-${k.noun} -Name ${psString(name)} -Path ${psString(sourcePath)}).PackageID`],
    });
  } else if (!samePath(existing.PkgSourcePath, sourcePath) || existing.Version !== input.version || existing.Description !== description) {
    const moved = !samePath(existing.PkgSourcePath, sourcePath); // else the same folder with new content (a mirror), or a run stopped halfway
    action = moved ? 'repointed' : 'refreshed';
    if (moved)
      steps.push({ target: name, what: `point the ${label} at ${sourcePath}`, lines: [`Set-${k.noun} -Id ${k.variable} -Path ${psString(sourcePath)}`] });
    steps.push({ target: name, what: `reload the image properties of the ${label}`, lines: [`Set-${k.noun} -Id ${k.variable} -Reload`] });
    refresh = state.distribution.assigned.some((a) => a.PackageID === id);
    if (refresh)
      steps.push({
        target: name,
        what: `refresh the distribution points that hold the ${label}`,
        lines: [`Update-CMDistributionPoint -${k.idParameter} ${k.variable}`],
      });
  }
  if (action !== 'unchanged') {
    steps.push({
      target: name,
      what: `set the ${label}'s version ${input.version}, description and binary delta replication`,
      lines: [
        `Set-${k.noun} -Id ${k.variable} -Version ${psString(input.version)} -Description ${psString(description)} -EnableBinaryDeltaReplication $true${commitExtra.map((e) => ` ${e}`).join('')}`,
      ],
    });
  }
  const groups = state.groups.filter((g) => !id || !state.groupPackages.some((gp) => gp.PkgID === id && gp.GroupID === g.groupId));
  const points = state.points.filter((p) => !id || !state.distribution.assigned.some((a) => a.PackageID === id && sameNal(a.ServerNALPath, p.nalPath ?? '')));
  if (groups.length + points.length > 0) {
    const targets = [
      groups.length ? ` -DistributionPointGroupName ${psList(groups.map((g) => g.name))}` : '',
      points.length ? ` -DistributionPointName ${psList(points.map((p) => p.name))}` : '',
    ].join('');
    steps.push({
      target: name,
      what: `distribute the ${label} to ${[...groups.map((g) => `group "${g.name}"`), ...points.map((p) => p.name)].join(', ')}`,
      // -DisableWildcardHandling: the group and DP names are looked up by name (Start-CMContentDistribution
      // has the switch in every parameter set, Microsoft Learn's ConfigurationManager reference).
      lines: [`Start-CMContentDistribution -${k.idParameter} ${k.variable}${targets} -DisableWildcardHandling`],
    });
  }
  return {
    plan: { kind, name, packageId: id, action, sourcePath, distributeTo: [...groups.map((g) => `group "${g.name}"`), ...points.map((p) => p.name)], refresh },
    steps,
  };
}

/** Decides the site changes. Throws before any change when a named group or distribution point is unknown. */
export function planSite(input: SiteScriptInput, state: SiteState): SitePlan {
  const { site } = input;
  if (state.siteCode.toLowerCase() !== site.siteCode.toLowerCase()) {
    throw new MediaError(`The site read answered for site ${state.siteCode}, not ${site.siteCode}`, {
      fix: 'Check --site-code and --provider (the SMS Provider of that site).',
    });
  }
  const unknownGroups = state.groups.filter((g) => !g.groupId).map((g) => `"${g.name}"`);
  const unknownPoints = state.points.filter((p) => !p.nalPath).map((p) => p.name);
  if (unknownGroups.length + unknownPoints.length > 0) {
    throw new MediaError(
      `Site ${site.siteCode} has no ${[unknownGroups.length ? `distribution point group ${unknownGroups.join(', ')}` : '', unknownPoints.length ? `distribution point ${unknownPoints.join(', ')}` : ''].filter(Boolean).join(' and no ')}; nothing was changed on the site`,
      {
        fix: 'Check the names in the console (Administration > Distribution Point Groups / Distribution Points) and correct distributionPointGroups / distributionPoints (--dp-group / --dp).',
      },
    );
  }
  const upgrade = planPackage('upgrade', site.upgradePackageName, state.upgradePackage, input, state, input.description, []);
  const m = site.multicast ?? { allow: false, encrypt: false, transferOnly: false };
  const bool = (value: boolean) => (value ? '$true' : '$false');
  const image = site.imagePackageName
    ? planPackage('image', site.imagePackageName, state.imagePackage, input, state, imageDescription(input), [
        `-MulticastAllow ${bool(m.allow)}`,
        `-MulticastEncrypt ${bool(m.encrypt)}`,
        `-MulticastTransferOnly ${bool(m.transferOnly)}`,
      ])
    : null;
  const notes: string[] = [];
  for (const p of [upgrade.plan, image?.plan]) {
    if (p && p.distributeTo.length === 0 && !state.distribution.assigned.some((a) => a.PackageID === p.packageId)) {
      notes.push(
        `the ${KINDS[p.kind].label} "${p.name}" is on no distribution point: name distribution point groups or distribution points (--dp-group, --dp) to distribute it`,
      );
    }
  }
  return { upgrade: upgrade.plan, image: image?.plan ?? null, steps: [...upgrade.steps, ...(image?.steps ?? [])], notes };
}

/** The plan in words, one line per change (dry run, progress, the job summary). */
export function describePlan(plan: SitePlan, siteCode: string): string[] {
  const lines = plan.steps.map((s) => `site ${siteCode}: ${s.what}`);
  if (lines.length === 0)
    lines.push(
      `site ${siteCode}: nothing to change (the ${KINDS.upgrade.label} "${plan.upgrade.name}" already points at this media and is distributed as named)`,
    );
  return [...lines, ...plan.notes.map((n) => `site ${siteCode}: note: ${n}`)];
}

/** osmedia-site-apply.ps1: the plan's steps, in order, each reported; the first failure stops it. */
export function siteApplyScript(input: SiteScriptInput, plan: SitePlan, readAt: string): string {
  const body =
    plan.steps.length === 0
      ? ['    # Nothing to change: the site already has this media, distributed as named.']
      : plan.steps.flatMap((step, index) => [
          `    # ${index + 1}. ${step.what.replace(/[\r\n]+/g, ' ')}`,
          `    $step = ${psString(step.what)}`,
          `    if ($PSCmdlet.ShouldProcess(${psString(step.target)}, $step)) {`,
          ...step.lines.map((l) => `        ${l}`),
          '        $result.completed += 1',
          '    }',
        ]);
  return psFile([
    '#Requires -Version 5.1',
    `# Generated by osmedia from what osmedia-site-read.ps1 found on site ${input.site.siteCode} at ${readAt}:`,
    `# ${plan.steps.length} change(s), in this order; the first failure stops the script. Re-running osmedia reads`,
    '# the site again and plans only what is still missing. -WhatIf shows what it would change. It takes no',
    '# credentials. The Windows license terms for this package were accepted in the recipe (acceptLicense: true).',
    ...siteParameters(input.site, { whatIf: true }),
    `$UpgradeId = ${plan.upgrade.packageId ? psString(plan.upgrade.packageId) : '$null'}`,
    `$ImageId = ${plan.image?.packageId ? psString(plan.image.packageId) : '$null'}`,
    ...ENTER_SITE,
    `$result = [ordered]@{ siteCode = $SiteCode; whatIf = [bool]$WhatIfPreference; steps = ${plan.steps.length}; completed = 0; failed = $null; upgradePackageId = $null; imagePackageId = $null }`,
    '$step = $null',
    'try {',
    ...body,
    '} catch {',
    '    $result.failed = [ordered]@{ step = $step; error = $_.Exception.Message }',
    '} finally {',
    '    Pop-Location',
    '}',
    '$result.upgradePackageId = $UpgradeId',
    '$result.imagePackageId = $ImageId',
    ...RESULT_OUTPUT,
    'if ($result.failed) { exit 1 }',
  ]);
}

export const ApplyResultSchema = z.object({
  siteCode: z.string(),
  whatIf: z.boolean().default(false),
  steps: z.number().int(),
  completed: z.number().int(),
  failed: z
    .object({ step: z.string().nullable(), error: z.string() })
    .nullish()
    .transform((v) => v ?? null),
  upgradePackageId: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  imagePackageId: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});
export type ApplyResult = z.infer<typeof ApplyResultSchema>;

// Distribution: SMS_PackageStatusDistPointsSummarizer.State, per the class documentation.
const STATE_NAMES: Record<number, string> = {
  0: 'installed',
  1: 'install pending',
  2: 'install retrying',
  3: 'install failed',
  4: 'removal pending',
  5: 'removal retrying',
  6: 'removal failed',
  7: 'content updating',
  8: 'content monitoring',
};
const FAILED_STATES = new Set([3, 6]);

export interface DistributionPointState {
  packageId: string;
  distributionPoint: string;
  state: string;
  outcome: 'done' | 'pending' | 'failed';
  /** When the site last summarized this state (SummaryDate, UTC), if it has. */
  since: string | null;
  /** For a failed one: its last status message (SMS_DistributionDPStatus), in words. */
  message: string | null;
}

/** A distribution point's last status message: its ID, time and insertion strings (the text of a
 *  status message lives in the site's message DLLs, not in WMI). */
function statusMessage(distribution: Distribution, packageId: string, nalPath: string): string | null {
  const row = (distribution.messages ?? []).find((m) => m.PackageID === packageId && sameNal(m.NalPath, nalPath));
  if (!row) return null;
  const inserts = [row.InsString1, row.InsString2].filter((v): v is string => Boolean(v) && v !== packageId);
  return `status message ${row.MessageID}${row.LastUpdateDate ? ` at ${row.LastUpdateDate}` : ''}${inserts.length ? `: ${inserts.join('; ')}` : ''}`;
}

/** Per distribution point the packages are assigned to: installed at the package's current source
 *  version (done), failed, or anything else (pending: no status yet, an older version, in progress). */
export function distributionStates(distribution: Distribution): DistributionPointState[] {
  return distribution.assigned.map((a) => {
    const current = distribution.packages.find((p) => p.PackageID === a.PackageID)?.SourceVersion;
    const row = distribution.status.find((s) => s.PackageID === a.PackageID && sameNal(s.ServerNALPath, a.ServerNALPath));
    const base = { packageId: a.PackageID, distributionPoint: nalServer(a.ServerNALPath), since: row?.SummaryDate ?? null, message: null };
    if (!row) return { ...base, state: 'no status yet', outcome: 'pending' as const };
    const name = STATE_NAMES[row.State] ?? `state ${row.State}`;
    if (FAILED_STATES.has(row.State))
      return { ...base, state: name, outcome: 'failed' as const, message: statusMessage(distribution, a.PackageID, a.ServerNALPath) };
    if (row.State === 0 && current !== undefined && row.SourceVersion != null && row.SourceVersion < current) {
      return { ...base, state: `installed (source version ${row.SourceVersion}, waiting for ${current})`, outcome: 'pending' as const };
    }
    return { ...base, state: name, outcome: row.State === 0 ? ('done' as const) : ('pending' as const) };
  });
}

/** One distribution point's state in words: `DP01.contoso.com P0100123: install pending since …`. */
export function describeState(s: DistributionPointState): string {
  return `${s.distributionPoint} ${s.packageId}: ${s.state}${s.since ? ` since ${s.since}` : ''}${s.message ? ` (${s.message})` : ''}`;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Polls until no distribution point is pending or the time is up; every `intervalMs` (30 s). With
 *  `expectAssigned` (the package was just sent somewhere), no assigned distribution point yet is
 *  pending too, not done. */
export async function waitForDistribution(
  poll: () => Promise<Distribution>,
  timeoutSeconds: number,
  onPoll: (states: DistributionPointState[]) => void,
  options: { clock?: Clock; intervalMs?: number; expectAssigned?: boolean } = {},
): Promise<{ states: DistributionPointState[]; timedOut: boolean; polls: number }> {
  const { clock = systemClock, intervalMs = 30_000, expectAssigned = false } = options;
  const deadline = clock.now() + timeoutSeconds * 1000;
  for (let polls = 1; ; polls++) {
    const states = distributionStates(await poll());
    onPoll(states);
    const pending = states.some((s) => s.outcome === 'pending') || (expectAssigned && states.length === 0);
    if (!pending) return { states, timedOut: false, polls };
    const left = deadline - clock.now();
    if (left <= 0) return { states, timedOut: true, polls };
    await clock.sleep(Math.min(intervalMs, left));
  }
}
