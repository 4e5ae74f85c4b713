// Issue 17.7: the example Jenkinsfile, walked stage by stage under Groovy (test/jenkins/run-jenkinsfile.groovy)
// with a faked build start time: its Patch Tuesday gate lets exactly the day after each month's second
// Tuesday through, over years and in more than one time zone; and it passes the recipe through whole.
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { stepsOfRecipe } from '../src/pipeline/run-recipe.ts';
import { loadRecipe } from '../src/recipe/load.ts';
import { getStep, type StepId } from '../src/steps/index.ts';
import { javaHome } from './jenkins/java.ts';
import { repoRoot, tempDir } from './helpers.ts';

interface JenkinsRun {
  stages: string[];
  calls: { step: string; args: Record<string, unknown> }[];
  error: string | null;
  result: string;
}

const jenkinsfile = path.join(repoRoot, 'workflows-examples', 'Jenkinsfile');

async function runJenkinsfile(input: Record<string, unknown>): Promise<JenkinsRun[]> {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'input.json'), JSON.stringify(input));
  const result = await execa(
    'groovy',
    [
      path.join(repoRoot, 'test', 'jenkins', 'run-jenkinsfile.groovy'),
      jenkinsfile,
      path.join(repoRoot, 'jenkins', 'vars'),
      path.join(dir, 'input.json'),
      path.join(dir, 'out.json'),
    ],
    { reject: false, env: { JAVA_HOME: (await javaHome()) ?? '' } },
  );
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  return JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8'));
}

/** The day of the month of the second Tuesday, computed independently of the Groovy code. */
function secondTuesday(year: number, month: number): number {
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay(); // 0 Sunday … 2 Tuesday
  return 1 + ((2 - firstWeekday + 7) % 7) + 7;
}

/** The days of the month the Jenkinsfile's cron fires on (its day-of-month field, as a range). */
async function cronDays(): Promise<number[]> {
  const text = await readFile(jenkinsfile, 'utf8');
  const cron = /cron\('([^']+)'\)/.exec(text)![1]!.split(/\s+/);
  const [from, to] = cron[2]!.split('-').map(Number);
  return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
}

const recipeYaml = `
media:
  source: iso/Win11_24H2.iso
  sha256: ${'a'.repeat(64)}
  compression: XPRESS
  keep: [Enterprise, Education]
  bootManager: '2023'
updates:
  from: updates/2026-11
  files:
    - { path: extra/windows11.0-kb5046617-x64.msu, sha256: ${'b'.repeat(64)} }
    - { path: 'D:\\updates\\ssu.msu' }
  cleanup: false
  netfx3: true
  continueOnError: true
  skipRejected: true
  scratch: 'E:\\scratch'
stamp:
  file: sources/build.txt
  revision: r-from-recipe
iso:
  output: out/Win11.iso
  splitSwmMiB: 4000
distribute:
  targets: ['\\\\cm01\\sources$\\OS\\Win11', shares/local]
  layout: mirror
  keep: 3
  wait: 60
  site:
    siteCode: P01
    provider: cm01.corp.example
    upgradePackageName: Windows 11 24H2 Enterprise
    imagePackageName: Windows 11 24H2 Enterprise image
    acceptLicense: true
    distributionPointGroups: [All DPs]
    distributionPoints: [dp01.corp.example]
    waitDistribution: 600
    multicast: { allow: true, encrypt: true, transferOnly: false }
taskSequence:
  out: ts
  edition: Enterprise
  packageId: P0100123
  name: Upgrade to Windows 11 24H2
  scanOnly: true
  dynamicUpdate: policy
  setupOptions: /Compat IgnoreWarning
  checks: { freeDiskSpaceMB: 30000, checkMemory: false }
`;

interface Scheduled {
  label: string;
  timeZone: string;
  serviced: boolean;
}

describe('the example Jenkinsfile', () => {
  const scheduled: Scheduled[] = [];
  let job: string;
  let results: JenkinsRun[];
  let manual: JenkinsRun;

  // One Groovy process for every build below (the JVM start is most of the cost).
  beforeAll(async () => {
    const days = await cronDays();
    const runs: Record<string, unknown>[] = [];
    for (const timeZone of ['UTC', 'America/Los_Angeles']) {
      for (let year = 2024; year <= 2031; year++) {
        for (let month = 0; month < 12; month++) {
          const target = secondTuesday(year, month) + 1;
          // The cron must fire on the day: otherwise no gate can let it through.
          expect(days, `${year}-${month + 1}: the day after Patch Tuesday is the ${target}th`).toContain(target);
          for (const day of days) {
            // 06:17 in the controller's zone, the zone its cron runs in.
            const local = Date.UTC(year, month, day, 6, 17);
            runs.push({ startTimeInMillis: local - localOffsetMs(local, timeZone), cause: 'TimerTrigger', timeZone });
            scheduled.push({ label: `${timeZone} ${year}-${month + 1}-${day}`, timeZone, serviced: day === target });
          }
        }
      }
    }
    job = await tempDir();
    await mkdir(path.join(job, 'recipes'), { recursive: true });
    await writeFile(path.join(job, 'recipes', 'win11.yml'), recipeYaml);
    // Run by hand on a day that is not the one: the gate is skipped.
    runs.push({
      startTimeInMillis: Date.UTC(2026, 11, 1, 9),
      cause: 'UserIdCause',
      timeZone: 'UTC',
      params: { RECIPE: 'recipes/win11.yml', DRY_RUN: false, FORCE: true },
      env: { GIT_COMMIT: 'c0ffee' },
    });
    const all = await runJenkinsfile({ recipe: parseYaml(recipeYaml), params: { RECIPE: 'recipes/win11.yml', DRY_RUN: false, FORCE: false }, runs });
    expect(all).toHaveLength(runs.length);
    manual = all.pop()!;
    results = all;
  }, 600_000);

  it('on its schedule, services exactly on the day after the second Tuesday, 2024 to 2031, in two time zones', () => {
    expect(results.length).toBe(2 * 8 * 12 * 7);
    results.forEach((run, i) => {
      const serviced = run.stages.includes('Import');
      expect(serviced, `${scheduled[i]!.label}: ${JSON.stringify(run.stages)} ${run.error}`).toBe(scheduled[i]!.serviced);
      if (!serviced) {
        expect(run.result).toBe('NOT_BUILT');
        expect(run.error).toBe('Not the day after Patch Tuesday: nothing to do.');
        expect(run.calls).toEqual([]);
      }
    });
    expect(results.filter((r) => r.stages.includes('Import'))).toHaveLength(2 * 8 * 12);
    // Wednesday 8 January 2025 (the day after the FIRST Tuesday) is not it; Wednesday 15 January 2025 is.
    expect(secondTuesday(2025, 0)).toBe(14);
    expect(scheduled.find((s) => s.label === 'UTC 2025-1-15')!.serviced).toBe(true);
  });

  it('run by hand it skips the gate, and it passes every recipe field to the step osmedia run would give it', async () => {
    const run = manual;
    expect(run.stages).toEqual(['Recipe', 'Import', 'Strip', 'Update', 'Stamp', 'ISO', 'Distribute', 'Task sequence']);
    const byStep: Record<string, StepId> = {
      osmediaImportMedia: 'import-media',
      osmediaStripIndexes: 'strip-indexes',
      osmediaApplyUpdates: 'apply-updates',
      osmediaStampBuildFile: 'stamp-build-file',
      osmediaBuildIso: 'build-iso',
      osmediaDistribute: 'distribute',
      osmediaGenerateTaskSequence: 'generate-task-sequence',
    };
    // What `osmedia run` gives each step for this recipe (paths resolved against the recipe's folder).
    const planned = stepsOfRecipe(await loadRecipe(path.join(job, 'recipes', 'win11.yml')));
    expect(run.calls.map((c) => byStep[c.step])).toEqual(planned.map((p) => p.step));
    const isPathKey = (key: string) => ['source', 'from', 'scratch', 'output'].includes(key);
    // The job runs in its workspace (the checkout), so the Jenkinsfile's relative paths are relative to it.
    const resolveJob = (p: string) => (/^([A-Za-z]:|\\\\)/.test(p) ? p : path.resolve(job, p));
    for (const [i, call] of run.calls.entries()) {
      const { workspace, force, dryRun: _dryRun, credentialsId, ...args } = call.args;
      expect(workspace).toBe('D:\\osmedia\\win11');
      if (call.step === 'osmediaImportMedia') expect(force).toBe(true);
      if (call.step === 'osmediaDistribute') expect(credentialsId).toBe('osmedia-share-writer');
      const resolved: Record<string, unknown> = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, isPathKey(k) ? resolveJob(String(v)) : v]));
      if (Array.isArray(resolved.files)) resolved.files = (resolved.files as { path: string }[]).map((f) => ({ ...f, path: resolveJob(f.path) }));
      if (Array.isArray(resolved.targets)) resolved.targets = (resolved.targets as string[]).map(resolveJob);
      const step = getStep(planned[i]!.step);
      const { recipeDir, ...fromRun } = planned[i]!.options;
      // The step's own schema reads both the same way (defaults filled, nothing unknown, nothing dropped).
      expect(step.schema.parse(resolved), call.step).toEqual(
        step.schema.parse(windowsAbsolute(JSON.parse(JSON.stringify(fromRun)), path.join(job, 'recipes'))),
      );
      expect(recipeDir === undefined || call.step === 'osmediaStampBuildFile').toBe(true);
    }
  });
});

/** osmedia on a Windows agent keeps D:\\… and \\\\server\\… as they are; path.resolve here (POSIX) prefixes them with the recipe folder. */
function windowsAbsolute(value: unknown, dir: string): unknown {
  if (typeof value === 'string') {
    const rest = value.startsWith(`${dir}/`) ? value.slice(dir.length + 1) : undefined;
    return rest !== undefined && /^([A-Za-z]:|\\\\)/.test(rest) ? rest : value;
  }
  if (Array.isArray(value)) return value.map((v) => windowsAbsolute(v, dir));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, windowsAbsolute(v, dir)]));
  return value;
}

/** The zone's offset from UTC at a time, in ms (e.g. -8 h for Los Angeles in winter). */
function localOffsetMs(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return asUtc - Math.floor(ms / 60000) * 60000;
}
