// A small stand-in for the GitHub Actions runner, to run the example workflows as written:
// jobs in `needs` order, `if:` and `${{ }}` evaluated with GitHub's own expression library
// (@actions/expressions), matrix legs on fresh runner folders, `run:` steps executed with the
// shell GitHub uses (`bash --noprofile --norc -eo pipefail {0}`, GitHub docs "Workflow syntax",
// jobs.<job_id>.steps[*].shell), and this repository's action run as the runner runs a node24
// action: `node <main>` with INPUT_* (defaults from action.yml), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
// Anything else (another action, a shell the runner set-up does not install) fails the step.
import { execa } from 'execa';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { node24, repoRoot, tempDir } from '../helpers.ts';

export interface RunnerOptions {
  event: string;
  inputs?: Record<string, unknown>;
  payload?: Record<string, unknown>;
  /** What `actions/checkout` of the workflow's own repository gives (the user's recipes repository). */
  checkout(dest: string): Promise<void>;
  /** The runner machine: a PATH folder with what its set-up installs, and its environment. */
  bin: string;
  env?: Record<string, string>;
}

export interface StepRecord {
  name: string;
  status: 'success' | 'failure' | 'skipped';
  output: string;
  outputs: Record<string, string>;
}

export interface JobRecord {
  id: string;
  matrix?: Record<string, unknown>;
  status: 'success' | 'failure' | 'skipped';
  steps: StepRecord[];
  outputs: Record<string, string>;
  /** Artifact names the action uploads (or would, where the service is missing). */
  artifacts: string[];
  summary: string;
  workspace: string;
}

type Step = {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'working-directory'?: string;
};
type Job = {
  needs?: string | string[];
  if?: string;
  strategy?: { matrix?: unknown };
  steps: Step[];
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
};

const CONTEXTS = ['github', 'inputs', 'matrix', 'steps', 'needs', 'env', 'runner', 'job', 'secrets', 'strategy', 'vars'];

/** Evaluates one expression (without `${{ }}`) against plain-JSON contexts. */
function evaluate(expression: string, contexts: Record<string, unknown>, status: { failed: boolean; workspace?: string }): unknown {
  const fn = (name: string, min: number, max: number, call: (...args: data.ExpressionData[]) => data.ExpressionData) => ({
    name,
    minArgs: min,
    maxArgs: max,
    call,
  });
  const functions = [
    fn('success', 0, 0, () => new data.BooleanData(!status.failed)),
    fn('failure', 0, 0, () => new data.BooleanData(status.failed)),
    fn('always', 0, 0, () => new data.BooleanData(true)),
    fn('cancelled', 0, 0, () => new data.BooleanData(false)),
    // hashFiles of plain file names (all the examples use): '' when none exists.
    fn('hashFiles', 1, 9, (...patterns) => {
      const files = patterns.map((p) => path.join(status.workspace ?? '.', p.coerceString())).filter((f) => existsSync(f));
      if (files.length === 0) return new data.StringData('');
      const hash = createHash('sha256');
      return new data.StringData(hash.update(files.join('\n')).digest('hex'));
    }),
  ];
  const lexed = new Lexer(expression).lex();
  const parsed = new Parser(lexed.tokens, CONTEXTS, functions).parse();
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  const result = new Evaluator(parsed, context, new Map(functions.map((f) => [f.name.toLowerCase(), f]))).evaluate();
  return JSON.parse(JSON.stringify(result, data.replacer));
}

function interpolate(text: unknown, contexts: Record<string, unknown>, status: { failed: boolean; workspace?: string }): string {
  if (typeof text !== 'string') return text === undefined ? '' : JSON.stringify(text);
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, expr: string) => {
    const value = evaluate(expr.trim(), contexts, status);
    return typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
  });
}

function condition(text: string | undefined, contexts: Record<string, unknown>, status: { failed: boolean; workspace?: string }): boolean {
  if (text === undefined) return !status.failed;
  const expr = String(text)
    .trim()
    .replace(/^\$\{\{(.*)\}\}$/s, '$1');
  const value = evaluate(/\b(success|failure|always|cancelled)\(\)/.test(expr) ? expr : `success() && (${expr})`, contexts, status);
  return Boolean(value);
}

/** GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      outputs[heredoc[1]!] = value.join('\n');
    } else if (lines[i]!.includes('=')) outputs[lines[i]!.slice(0, lines[i]!.indexOf('='))] = lines[i]!.slice(lines[i]!.indexOf('=') + 1);
  }
  return outputs;
}

/** This repository as a `uses:` or `actions/checkout` gives it: the tracked files, no node_modules, no lib/. */
export async function checkoutOfThisRepo(dest: string): Promise<void> {
  const files = String((await execa('git', ['ls-files', '-z'], { cwd: repoRoot })).stdout)
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(repoRoot, file))) continue;
    await mkdir(path.dirname(path.join(dest, file)), { recursive: true });
    await cp(path.join(repoRoot, file), path.join(dest, file));
  }
}

export async function runWorkflow(file: string, options: RunnerOptions): Promise<JobRecord[]> {
  const workflow = parseYaml(await readFile(path.resolve(repoRoot, file), 'utf8')) as { env?: Record<string, unknown>; jobs: Record<string, Job> };
  const actionCheckout = await tempDir('osmedia-uses-');
  await checkoutOfThisRepo(actionCheckout);
  const records: JobRecord[] = [];
  const needsContext: Record<string, { result: string; outputs: Record<string, string> }> = {};
  const pending = Object.entries(workflow.jobs);
  while (pending.length > 0) {
    const index = pending.findIndex(([, job]) => [job.needs ?? []].flat().every((n) => n in needsContext));
    if (index < 0) throw new Error(`${file}: jobs with needs that never run`);
    const [id, job] = pending.splice(index, 1)[0]!;
    const needs = Object.fromEntries([job.needs ?? []].flat().map((n) => [n, needsContext[n]!]));
    const github = {
      event_name: options.event,
      event: options.payload ?? {},
      token: 'ghs_test-token',
      sha: '0123456789abcdef0123456789abcdef01234567',
      repository: 'corp/recipes',
    };
    const base = { github, inputs: options.inputs ?? {}, needs, env: {}, runner: { os: 'Linux' }, secrets: {}, vars: {} };
    const upstreamFailed = Object.values(needs).some((n) => n.result !== 'success');
    if (!condition(job.if, base, { failed: upstreamFailed })) {
      records.push({ id, status: 'skipped', steps: [], outputs: {}, artifacts: [], summary: '', workspace: '' });
      needsContext[id] = { result: 'skipped', outputs: {} };
      continue;
    }
    let matrixValue = job.strategy?.matrix;
    if (typeof matrixValue === 'string') matrixValue = evaluate(matrixValue.trim().replace(/^\$\{\{(.*)\}\}$/s, '$1'), base, { failed: false });
    const legs = matrixValue ? ((matrixValue as { include: Record<string, unknown>[] }).include ?? []) : [undefined];
    let jobResult = 'success';
    let jobOutputs: Record<string, string> = {};
    for (const matrix of legs) {
      const record = await runJob(id, job, workflow.env ?? {}, { ...base, matrix: matrix ?? {}, strategy: {} }, options, actionCheckout);
      record.matrix = matrix;
      records.push(record);
      if (record.status !== 'success') jobResult = 'failure';
      jobOutputs = record.outputs;
    }
    needsContext[id] = { result: jobResult, outputs: jobOutputs };
  }
  return records;
}

async function runJob(
  id: string,
  job: Job,
  workflowEnv: Record<string, unknown>,
  contexts: Record<string, unknown>,
  options: RunnerOptions,
  actionCheckout: string,
): Promise<JobRecord> {
  const runnerDir = await tempDir('osmedia-runner-');
  const workspace = path.join(runnerDir, 'work');
  await mkdir(workspace, { recursive: true });
  const summaryFile = path.join(runnerDir, 'summary.md');
  await writeFile(summaryFile, '');
  const status = { failed: false, workspace };
  const stepsContext: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
  const record: JobRecord = { id, status: 'success', steps: [], outputs: {}, artifacts: [], summary: '', workspace };
  for (const [n, step] of job.steps.entries()) {
    const ctx = { ...contexts, steps: stepsContext };
    const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${n}`;
    if (!condition(step.if, ctx, status)) {
      record.steps.push({ name, status: 'skipped', output: '', outputs: {} });
      continue;
    }
    const outputFile = path.join(runnerDir, `output-${n}`);
    await writeFile(outputFile, '');
    const env: Record<string, string> = {
      PATH: `${options.bin}:/usr/bin:/bin`,
      HOME: runnerDir,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: options.event,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_SHA: (contexts.github as { sha: string }).sha,
      RUNNER_TEMP: runnerDir,
      RUNNER_OS: 'Linux',
      ...options.env,
    };
    for (const scope of [workflowEnv, job.env ?? {}, step.env ?? {}]) for (const [k, v] of Object.entries(scope)) env[k] = interpolate(v, ctx, status);
    const withs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(v, ctx, status)]));
    let ok = true;
    let output = '';
    if (step.uses?.startsWith('actions/checkout@')) {
      const dest = path.join(workspace, withs.path ?? '.');
      if (withs.repository === 'osmedia/osmedia') await checkoutOfThisRepo(dest);
      else await options.checkout(dest);
    } else if (step.uses?.startsWith('actions/setup-node@')) {
      ok = withs['node-version'] === '24'; // the bin folder's node is Node 24
      output = `setup-node ${withs['node-version']}`;
    } else if (step.uses?.startsWith('osmedia/osmedia@')) {
      const metadata = parseYaml(await readFile(path.join(actionCheckout, 'action.yml'), 'utf8')) as {
        inputs: Record<string, { default?: string }>;
        runs: { main: string };
      };
      for (const [k, spec] of Object.entries(metadata.inputs)) env[`INPUT_${k.toUpperCase()}`] = spec.default ?? '';
      for (const [k, v] of Object.entries(withs)) env[`INPUT_${k.toUpperCase()}`] = v;
      const result = await execa(node24, [path.join(actionCheckout, metadata.runs.main)], {
        reject: false,
        env,
        extendEnv: false,
        cwd: workspace,
        stdin: 'ignore',
        all: true,
      });
      ok = result.exitCode === 0;
      output = String(result.all);
      const outputs = parseOutputs(await readFile(outputFile, 'utf8'));
      // The artifact name, as src/action/run.ts chooses it: the artifact-name input, or osmedia-<workspace folder>.
      if (env.INPUT_ARTIFACTS === 'true' && outputs.workspace) record.artifacts.push(withs['artifact-name'] || `osmedia-${path.basename(outputs.workspace)}`);
    } else if (step.run !== undefined) {
      const shell = step.shell ?? 'bash';
      const script = path.join(runnerDir, `step-${n}.sh`);
      await writeFile(script, interpolate(step.run, ctx, status));
      if (shell !== 'bash') {
        ok = false;
        output = `shell ${shell}: not installed by the runner set-up (README: Windows runner set-up installs Node.js and Git, whose bash GitHub uses for shell: bash)`;
      } else {
        const cwd = path.join(workspace, step['working-directory'] ?? '.');
        const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
          reject: false,
          env,
          extendEnv: false,
          cwd,
          stdin: 'ignore',
          all: true,
        });
        ok = result.exitCode === 0;
        output = String(result.all);
      }
    } else {
      ok = false;
      output = `unsupported step: ${step.uses}`;
    }
    const outputs = parseOutputs(await readFile(outputFile, 'utf8'));
    if (step.id) stepsContext[step.id] = { outputs, outcome: ok ? 'success' : 'failure' };
    record.steps.push({ name, status: ok ? 'success' : 'failure', output, outputs });
    if (!ok) status.failed = true;
  }
  record.status = status.failed ? 'failure' : 'success';
  record.outputs = Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, interpolate(v, { ...contexts, steps: stepsContext }, status)]));
  record.summary = await readFile(summaryFile, 'utf8');
  return record;
}
