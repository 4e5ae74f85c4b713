// Runs the site operations where they can run: Windows PowerShell 5.1 on a machine with the ConfigMgr
// console (SMS_ADMIN_UI_PATH is set by the console's installer). Read the site, decide (site-plan.ts),
// apply, and optionally wait for the distribution, polling its status. The scripts are written into
// <workspace>/scripts first (reviewable artifacts). Anywhere else the step stops, after writing the
// read script, and says where to run it. OSMEDIA_POWERSHELL names another PowerShell (tests replay one).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Workspace } from '../media/workspace.ts';
import { MediaError, ToolError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { runTool, tailLines } from '../util/exec.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { readJson } from '../util/json.ts';
import {
  ApplyResultSchema,
  describePlan,
  describeState,
  planSite,
  siteApplyScript,
  systemClock,
  waitForDistribution,
  type Clock,
  type DistributionPointState,
  type PackageAction,
  type SitePlan,
} from './site-plan.ts';
import { resultLine, siteReadScript, siteStatusScript, SiteStateSchema, StatusResultSchema, type SiteScriptInput, type SiteState } from './site.ts';

export const SITE_SCRIPTS = { read: 'osmedia-site-read.ps1', apply: 'osmedia-site-apply.ps1', status: 'osmedia-site-status.ps1' } as const;

export function sitePowerShell(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.OSMEDIA_POWERSHELL) return env.OSMEDIA_POWERSHELL;
  if (platform === 'win32' && env.SMS_ADMIN_UI_PATH) return 'powershell.exe';
  return undefined;
}

/** What the distribute step reports of the site (summary.site, the Action's job summary and package-id). */
export interface SiteResult {
  siteCode: string;
  upgradePackage: { name: string; packageId: string; action: PackageAction; sourcePath: string; version: string };
  imagePackage: { name: string; packageId: string; action: PackageAction } | null;
  /** The changes made, in words, in order. */
  changes: string[];
  notes: string[];
  /** Per distribution point, when the step waited. */
  distribution: { packageId: string; distributionPoint: string; state: string; since: string | null; message: string | null }[];
  waited: boolean;
  timedOut: boolean;
  scripts: string[];
}

/** Writes the read and status scripts into dir (they depend only on the recipe). */
export async function writeSiteScripts(dir: string, input: SiteScriptInput): Promise<{ read: string; status: string }> {
  await mkdir(dir, { recursive: true });
  const read = path.join(dir, SITE_SCRIPTS.read);
  const status = path.join(dir, SITE_SCRIPTS.status);
  await writeFileAtomic(read, siteReadScript(input));
  await writeFileAtomic(status, siteStatusScript(input.site));
  return { read, status };
}

export async function writeApplyScript(dir: string, input: SiteScriptInput, plan: SitePlan, readAt: string): Promise<string> {
  const file = path.join(dir, SITE_SCRIPTS.apply);
  await writeFileAtomic(file, siteApplyScript(input, plan, readAt));
  return file;
}

export function commandLine(script: string, input: SiteScriptInput, extra = ''): string {
  return `powershell.exe -NoProfile -ExecutionPolicy Bypass -File "${script}" -SiteCode ${input.site.siteCode} -ProviderMachineName ${input.site.provider}${extra}`;
}

/** Runs one site script and returns what it reported (its result file, else its OSMEDIA-RESULT line).
 *  A script that exits non-zero but wrote a result (the apply script's failed step) returns it. */
async function runScript(powershell: string, script: string, args: string[], input: SiteScriptInput, logDir: string, stateDir: string): Promise<unknown> {
  const resultFile = path.join(stateDir, `site-result-${process.pid}.json`);
  await mkdir(stateDir, { recursive: true });
  await rm(resultFile, { force: true });
  let output: string;
  let exitCode = 0;
  let failure: ToolError | undefined;
  try {
    output = (
      await runTool(
        {
          tool: 'PowerShell',
          file: powershell,
          args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', script, ...args, '-ResultPath', resultFile],
        },
        { logDir, keepLog: true },
      )
    ).stdout;
  } catch (error) {
    if (!(error instanceof ToolError) || error.toolExitCode === undefined) throw error;
    failure = error;
    exitCode = error.toolExitCode;
    output = error.output;
  }
  const fromFile = await readFile(resultFile, 'utf8').catch(() => undefined);
  await rm(resultFile, { force: true });
  const result: unknown = fromFile ? JSON.parse(fromFile.replace(/^\uFEFF/, '')) : resultLine(output);
  if (result === undefined) {
    const why = failure ? `failed (exit code ${exitCode}): ${tailLines(failure.output, 3).replace(/\n/g, ' | ')}` : 'reported nothing';
    throw new MediaError(`The ConfigMgr site script ${path.basename(script)} ${why}`, {
      fix: `Check the account's rights on site ${input.site.siteCode} (README: ConfigMgr permissions) and the log${failure?.logPath ? ` ${failure.logPath}` : ` in ${logDir}`}; the script can be run by hand: ${commandLine(script, input)}`,
      cause: failure,
    });
  }
  return result;
}

function parseWith<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new MediaError(
    `The ConfigMgr site script ${what} reported something osmedia does not understand (${issue.path.join('.') || 'result'}: ${issue.message})`,
    {
      fix: 'Keep the generated scripts as osmedia wrote them (they are regenerated on every run), and report the log to the osmedia maintainers if they were.',
    },
  );
}

/** Reads the site: from a result file of osmedia-site-read.ps1 run elsewhere, or by running it here. */
export async function readSite(
  input: SiteScriptInput,
  scripts: { read: string },
  dirs: { logDir: string; stateDir: string },
  stateFile?: string,
): Promise<SiteState | undefined> {
  if (stateFile) {
    const value = await readJson(stateFile, z.unknown(), {
      what: 'site state file',
      fix: `Pass the file osmedia-site-read.ps1 wrote with -ResultPath, unchanged: ${commandLine(scripts.read, input, ' -ResultPath site-state.json')}`,
      missingFix: `Pass the file osmedia-site-read.ps1 wrote with -ResultPath: ${commandLine(scripts.read, input, ' -ResultPath site-state.json')}`,
    });
    return parseWith(SiteStateSchema, value, SITE_SCRIPTS.read);
  }
  const powershell = sitePowerShell();
  if (!powershell) return undefined;
  return parseWith(SiteStateSchema, await runScript(powershell, scripts.read, [], input, dirs.logDir, dirs.stateDir), SITE_SCRIPTS.read);
}

/** Reads the site, applies what it lacks, and optionally waits for the distribution. */
export async function runSiteOperations(workspace: Workspace, input: SiteScriptInput, reporter: Reporter, clock: Clock = systemClock): Promise<SiteResult> {
  const dir = path.join(workspace.root, 'scripts');
  const scripts = await writeSiteScripts(dir, input);
  const dirs = { logDir: workspace.logsDir, stateDir: workspace.stateDir };
  const say = (message: string) => reporter.emit({ type: 'info', step: 'distribute', message });
  const state = await readSite(input, scripts, dirs);
  if (!state) {
    throw new MediaError(
      `The media is published, but the ConfigMgr site operations need Windows PowerShell 5.1 with the Configuration Manager console, which this machine does not have. The read script is written: ${scripts.read}`,
      {
        fix: `Run this step on a runner with the console (the publish is done: re-running it copies nothing). Or, on a machine with the console, run ${commandLine(scripts.read, input, ' -ResultPath site-state.json')}, then \`osmedia distribute … --emit-scripts DIR --site-state site-state.json\` writes the apply script to run there.`,
      },
    );
  }
  const plan = planSite(input, state);
  const apply = await writeApplyScript(dir, input, plan, new Date().toISOString());
  for (const line of describePlan(plan, input.site.siteCode)) say(line);
  const powershell = sitePowerShell()!;
  let upgradeId = plan.upgrade.packageId;
  let imageId = plan.image?.packageId ?? null;
  if (plan.steps.length > 0) {
    const applied = parseWith(ApplyResultSchema, await runScript(powershell, apply, [], input, dirs.logDir, dirs.stateDir), SITE_SCRIPTS.apply);
    if (applied.failed) {
      const done = plan.steps.slice(0, applied.completed).map((s) => s.what);
      throw new MediaError(`ConfigMgr site ${input.site.siteCode}: "${applied.failed.step ?? 'starting'}" failed: ${applied.failed.error}`, {
        fix: `${done.length ? `Done before it: ${done.join('; ')}. ` : 'Nothing was changed before it. '}Check the account's rights (README: ConfigMgr permissions) and SMSProv.log on the SMS Provider, then re-run this step: it reads the site again and does only what is still missing.`,
      });
    }
    if (applied.completed !== plan.steps.length || applied.steps !== plan.steps.length) {
      throw new MediaError(
        `ConfigMgr site ${input.site.siteCode}: the apply script completed ${applied.completed} of ${plan.steps.length} change(s) without reporting a failure`,
        {
          fix: `Run it by hand to see why: ${commandLine(apply, input)}; then re-run this step.`,
        },
      );
    }
    upgradeId = applied.upgradePackageId ?? upgradeId;
    imageId = applied.imagePackageId ?? imageId;
  }
  if (!upgradeId) {
    throw new MediaError('The ConfigMgr site script ran but reported no OS upgrade package ID', {
      fix: `Read its output in ${workspace.logsDir} and check the package "${input.site.upgradePackageName}" in the console.`,
    });
  }
  let states: DistributionPointState[] = [];
  let timedOut = false;
  const wait = input.site.waitDistribution;
  if (wait > 0) {
    const ids = [upgradeId, imageId].filter((v): v is string => Boolean(v));
    say(`site ${input.site.siteCode}: waiting up to ${wait} s for the distribution of ${ids.join(', ')}`);
    const poll = async () =>
      parseWith(
        StatusResultSchema,
        await runScript(powershell, scripts.status, ['-PackageId', ids.join(',')], input, dirs.logDir, dirs.stateDir),
        SITE_SCRIPTS.status,
      ).distribution;
    // Each distribution point's state (name, state, since when) on the first poll and whenever it
    // changes, then the total (issue 19.7).
    const last = new Map<string, string>();
    const waited = await waitForDistribution(
      poll,
      wait,
      (now) => {
        for (const s of now) {
          const key = `${s.packageId} ${s.distributionPoint}`;
          const line = describeState(s);
          if (last.get(key) !== line) say(`site ${input.site.siteCode}: ${line}`);
          last.set(key, line);
        }
        const done = now.filter((s) => s.outcome === 'done').length;
        const failed = now.filter((s) => s.outcome === 'failed').length;
        say(`site ${input.site.siteCode}: ${done}/${now.length} distribution point(s) installed${failed ? `, ${failed} failed` : ''}`);
      },
      { clock, expectAssigned: [plan.upgrade, plan.image].some((p) => p && p.distributeTo.length > 0) },
    );
    states = waited.states;
    timedOut = waited.timedOut;
    const failed = states.filter((s) => s.outcome === 'failed');
    if (failed.length > 0) {
      throw new MediaError(
        `OS upgrade package ${upgradeId} (${plan.upgrade.action}) did not reach ${failed.length} distribution point(s): ${failed.map((d) => describeState(d)).join('; ')}`,
        {
          fix: "Check distmgr.log on the site server and PkgXferMgr.log / the DP's smsdpprov.log, then redistribute from the console or re-run this step.",
        },
      );
    }
    if (timedOut) {
      const pending = states.filter((s) => s.outcome === 'pending');
      throw new MediaError(
        `OS upgrade package ${upgradeId} is still being distributed after ${wait} s: ${pending.length ? pending.map((d) => `${d.distributionPoint} (${d.state})`).join(', ') : 'no distribution point has it assigned yet'}`,
        {
          fix: 'Raise waitDistribution (--wait-distribution), or let it finish and check the Content Status node in the console; the package itself is in place.',
        },
      );
    }
  }
  return {
    siteCode: input.site.siteCode,
    upgradePackage: {
      name: input.site.upgradePackageName,
      packageId: upgradeId,
      action: plan.upgrade.action,
      sourcePath: plan.upgrade.sourcePath,
      version: input.version,
    },
    imagePackage: plan.image ? { name: plan.image.name, packageId: imageId ?? '', action: plan.image.action } : null,
    changes: plan.steps.map((s) => s.what),
    notes: plan.notes,
    distribution: states.map(({ packageId, distributionPoint, state, since, message }) => ({ packageId, distributionPoint, state, since, message })),
    waited: wait > 0,
    timedOut,
    scripts: [scripts.read, apply, scripts.status],
  };
}
