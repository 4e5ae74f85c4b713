// Writes the site script into the workspace (scripts/osmedia-site.ps1, a reviewable artifact) and
// runs it where it can run: Windows PowerShell 5.1 on a machine with the ConfigMgr console
// (SMS_ADMIN_UI_PATH is set by the console's installer). Anywhere else it stops with the command
// to run, after writing the script. OSMEDIA_POWERSHELL names another PowerShell (tests replay one).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Workspace } from '../media/workspace.ts';
import { MediaError, ToolError } from '../util/errors.ts';
import type { Reporter } from '../util/events.ts';
import { runTool, tailLines } from '../util/exec.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { describeSiteOperations, parseSiteResult, siteScript, type SiteResult, type SiteScriptInput } from './site.ts';

export const SITE_SCRIPT = 'osmedia-site.ps1';

export function sitePowerShell(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.OSMEDIA_POWERSHELL) return env.OSMEDIA_POWERSHELL;
  if (platform === 'win32' && env.SMS_ADMIN_UI_PATH) return 'powershell.exe';
  return undefined;
}

/** Writes the script into dir and returns its path. */
export async function writeSiteScript(dir: string, input: SiteScriptInput): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SITE_SCRIPT);
  await writeFileAtomic(file, siteScript(input));
  return file;
}

function commandLine(script: string, input: SiteScriptInput): string {
  return `powershell.exe -NoProfile -ExecutionPolicy Bypass -File "${script}" -SiteCode ${input.site.siteCode} -ProviderMachineName ${input.site.provider}`;
}

/** Runs the site operations and checks what the script reports. */
export async function runSiteOperations(workspace: Workspace, input: SiteScriptInput, reporter: Reporter): Promise<{ script: string; result: SiteResult }> {
  const script = await writeSiteScript(path.join(workspace.root, 'scripts'), input);
  for (const line of describeSiteOperations(input)) reporter.emit({ type: 'info', step: 'distribute', message: line });
  const powershell = sitePowerShell();
  if (!powershell) {
    throw new MediaError(`The media is published, but the ConfigMgr site operations need Windows PowerShell 5.1 with the Configuration Manager console, which this machine does not have. The script is written: ${script}`, {
      fix: `Run it on a machine with the console, as an account with the rights README lists: ${commandLine(script, input)} (add -WhatIf to see what it would change), or run this step on such a runner.`,
    });
  }
  const resultFile = path.join(workspace.stateDir, `site-result-${process.pid}.json`);
  await rm(resultFile, { force: true });
  let output: string;
  try {
    output = (await runTool({ tool: 'PowerShell', file: powershell, args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', script, '-ResultPath', resultFile] }, { logDir: workspace.logsDir, keepLog: true })).stdout;
  } catch (error) {
    if (!(error instanceof ToolError) || error.toolExitCode === undefined) throw error;
    throw new MediaError(`The ConfigMgr site script failed (exit code ${error.toolExitCode}): ${tailLines(error.output, 3).replace(/\n/g, ' | ')}`, {
      fix: `Check the account's rights on site ${input.site.siteCode} (README: ConfigMgr permissions) and the log${error.logPath ? ` ${error.logPath}` : ''}; the script can be re-run by hand: ${commandLine(script, input)}`,
      cause: error,
    });
  }
  // The result file (UTF-8 JSON) when the script wrote one; its last output line otherwise.
  const fromFile = await readFile(resultFile, 'utf8').catch(() => undefined);
  await rm(resultFile, { force: true });
  const result = fromFile ? parseSiteResult(`OSMEDIA-RESULT ${fromFile.trim()}`) : parseSiteResult(output);
  if (!result?.upgradePackage?.packageId && !result?.whatIf) {
    throw new MediaError(`The ConfigMgr site script ran but reported no OS upgrade package ID`, { fix: `Read its output in ${workspace.logsDir} and check the package "${input.site.upgradePackageName}" in the console.` });
  }
  const id = result.upgradePackage?.packageId ?? '(what-if)';
  const failed = result.distribution.filter((d) => /failed/.test(d.state));
  if (failed.length > 0) {
    throw new MediaError(`OS upgrade package ${id} (${result.upgradePackage?.action}) did not reach ${failed.length} distribution point(s): ${failed.map((d) => `${d.distributionPoint} (${d.packageId}: ${d.state})`).join(', ')}`, {
      fix: 'Check distmgr.log on the site server and PkgXferMgr.log / the DP\'s smsdpprov.log, then redistribute from the console or re-run this step.',
    });
  }
  if (result.timedOut) {
    const pending = result.distribution.filter((d) => d.state !== 'installed');
    throw new MediaError(`OS upgrade package ${id} is still being distributed after ${input.site.waitDistribution} s: ${pending.map((d) => `${d.distributionPoint} (${d.state})`).join(', ')}`, {
      fix: 'Raise waitDistribution (--wait-distribution), or let it finish and check the Content Status node in the console; the package itself is in place.',
    });
  }
  return { script, result };
}
