// Every top-level Action output, on the run that publishes and on the no-op run after it. The
// action runs from src/ (src/action/entries/index.ts, as dist/index.js is bundled from it) the way
// the runner runs it: INPUT_* variables with action.yml's defaults, GITHUB_OUTPUT and friends.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Outputs } from '../../src/action/inputs.ts';
import { buildSampleUpdates } from '../../src/sample/sample-updates.ts';
import { hashFile } from '../../src/util/fs.ts';
import { node24, readJson, repoRoot, sampleMedia, tempDir } from '../helpers.ts';

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i]!);
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}

async function runTopLevelAction(inputs: Record<string, string>) {
  const dir = await tempDir('osmedia-runner-');
  const files = { GITHUB_OUTPUT: path.join(dir, 'output'), GITHUB_STEP_SUMMARY: path.join(dir, 'summary'), GITHUB_STATE: path.join(dir, 'state') };
  for (const f of Object.values(files)) await writeFile(f, '');
  const metadata = parseYaml(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  const env: Record<string, string> = {
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
  };
  for (const [name, spec] of Object.entries(metadata.inputs)) env[`INPUT_${name.toUpperCase()}`] = spec.default ?? '';
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = await execa(node24, [path.join(repoRoot, 'src', 'action', 'entries', 'index.ts')], {
    reject: false,
    env: { ...env, PATH: process.env.PATH ?? '' },
    extendEnv: false,
    cwd: dir,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), outputs: parseOutputs(await readFile(files.GITHUB_OUTPUT, 'utf8')) };
}

describe('the top-level action outputs', () => {
  it('are set from the right step on the publishing run and on the no-op run after it', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const updates = await buildSampleUpdates({ dir: path.join(dir, 'updates'), only: ['setupDu'] });
    await writeFile(path.join(updates.dir, 'SHA256SUMS'), `${await hashFile(updates.files.setupDu)}  ${path.basename(updates.files.setupDu)}\n`);
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(
      recipe,
      [
        'workspace: ws',
        'media:',
        `  source: ${sample.isoPath}`,
        '  keep: [Enterprise]',
        'updates:',
        '  from: updates',
        'distribute:',
        '  targets: [share]',
        'taskSequence:',
        '  name: Upgrade to Windows 11',
        '  packageId: P0100456',
        '',
      ].join('\n'),
    );
    const first = await runTopLevelAction({ recipe, cache: 'false', artifacts: 'false' });
    expect(first.exitCode, first.stdout).toBe(0);
    const ws = path.join(dir, 'ws');
    const current = (await readJson(path.join(dir, 'share', 'current.json'))) as { version: string };
    const expected = {
      [Outputs.workspace]: ws,
      [Outputs.manifest]: path.join(ws, 'osmedia-manifest.json'),
      [Outputs.build]: '10.0.26100.1742',
      [Outputs.version]: current.version,
      [Outputs.packageId]: 'P0100456',
      [Outputs.taskSequence]: path.join(ws, 'ts', 'osmedia-upgrade.xml'),
      [Outputs.exitCode]: '0', // the exit-code table (src/util/errors.ts): 0 ok, also for nothing to do
    };
    // The run that applies the updates and publishes has the version it published (issue 17.2).
    expect(current.version).toMatch(/^26100\.1742-[0-9a-f]{8}$/);
    expect(first.outputs).toEqual({ ...expected, [Outputs.changed]: 'true' });

    const second = await runTopLevelAction({ recipe, cache: 'false', artifacts: 'false' });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs).toEqual({ ...expected, [Outputs.changed]: 'false' });
  });
});
