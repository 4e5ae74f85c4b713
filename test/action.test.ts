// The bundled actions, run the way the runner runs them: INPUT_* variables (defaults from
// action.yml), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_STATE files, `node dist/<entry>.js`.
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/index';
import { HostInputs, Inputs, Outputs, stepInputs } from '../src/action/inputs.ts';
import { hostFields, surfaces } from '../src/steps/surface.ts';
import type { StepId } from '../src/steps/types.ts';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { fakeSite } from './configmgr/fake-site.ts';
import { artifactFiles, updatesCacheKey } from '../src/action/keep.ts';
import { Workspace } from '../src/media/workspace.ts';
import { hashFile } from '../src/util/fs.ts';
import { node24, repoRoot, sampleMedia, tempDir } from './helpers.ts';

const ACTIONS = [
  'action.yml',
  'actions/import-media/action.yml',
  'actions/strip-indexes/action.yml',
  'actions/apply-updates/action.yml',
  'actions/stamp-build-file/action.yml',
  'actions/distribute/action.yml',
  'actions/generate-task-sequence/action.yml',
  'actions/build-iso/action.yml',
];

interface ActionMeta {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  outputs?: Record<string, unknown>;
  runs: { using: string; main: string };
}

const meta = async (file: string) => parseYaml(await readFile(path.join(repoRoot, file), 'utf8')) as ActionMeta;

/** Parses the GITHUB_OUTPUT file format (name<<delimiter … delimiter). */
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

async function runAction(file: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const dir = await tempDir('osmedia-runner-');
  const files = { GITHUB_OUTPUT: path.join(dir, 'output'), GITHUB_STEP_SUMMARY: path.join(dir, 'summary'), GITHUB_STATE: path.join(dir, 'state') };
  for (const f of Object.values(files)) await writeFile(f, '');
  const metadata = await meta(file);
  const env: Record<string, string> = {
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    ...extraEnv,
  };
  for (const [name, spec] of Object.entries(metadata.inputs ?? {})) env[`INPUT_${name.toUpperCase()}`] = spec.default ?? '';
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const main = path.join(repoRoot, path.dirname(file), metadata.runs.main);
  const result = await execa(node24, [main], { reject: false, env, extendEnv: false, cwd: dir, stdin: 'ignore' });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    outputs: parseOutputs(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
  };
}

describe('action metadata', () => {
  it("every action.yml validates against GitHub's action schema and runs on node24 from dist/", async () => {
    for (const file of ACTIONS) {
      const result = parseAction({ name: file, content: await readFile(path.join(repoRoot, file), 'utf8') }, new NoOperationTraceWriter());
      expect(
        result.context.errors.getErrors().map((e) => e.message),
        file,
      ).toEqual([]);
      const metadata = await meta(file);
      expect(metadata.runs.using).toBe('node24');
      expect(path.resolve(repoRoot, path.dirname(file), metadata.runs.main).startsWith(path.join(repoRoot, 'dist'))).toBe(true);
    }
  });

  it('each input is read by the code and each output is set', async () => {
    const code = await readFile(path.join(repoRoot, 'src', 'action', 'run.ts'), 'utf8');
    // Host inputs are read by name; a step's inputs are read from its surface (optionsFromInputs).
    const read = new Set([
      ...[...code.matchAll(/Inputs\.(\w+)/g)].map((m) => Inputs[m[1] as keyof typeof Inputs]),
      ...Object.keys(surfaces).flatMap((id) => hostFields(id as StepId, 'action').map((f) => f.meta.flag!)),
    ]);
    expect(code).toMatch(/hostFields\(step, 'action'\)/);
    const set = new Set([...code.matchAll(/setOutput\(Outputs\.(\w+)/g)].map((m) => Outputs[m[1] as keyof typeof Outputs]));
    for (const file of ACTIONS) {
      const metadata = await meta(file);
      for (const input of Object.keys(metadata.inputs ?? {})) expect(read, `${file}: input ${input}`).toContain(input);
      for (const output of Object.keys(metadata.outputs ?? {})) expect(set, `${file}: output ${output}`).toContain(output);
    }
    // A sub-action declares exactly the inputs its step reads: its flags and the host-only ones.
    for (const step of Object.keys(surfaces) as StepId[]) {
      const declared = Object.keys((await meta(`actions/${step}/action.yml`)).inputs ?? {}).sort();
      expect(declared, step).toEqual(stepInputs(step).sort());
      for (const name of declared.filter((n) => !hostFields(step, 'action').some((f) => f.meta.flag === n)))
        expect(HostInputs[name]?.hostOnly, name).toBe(true);
    }
  });

  it('dist/ is up to date with src/', async () => {
    const check = await execa(node24, [path.join(repoRoot, 'scripts', 'bundle.ts'), '--check'], { reject: false });
    expect(check.exitCode, `${check.stdout}${check.stderr}`).toBe(0);
  });
});

describe('the bundled actions on the sample media', () => {
  it('import → strip → stamp → distribute, chained through the workspace output, with summaries', async () => {
    const sample = await sampleMedia();
    const root = await tempDir();
    const imported = await runAction('actions/import-media/action.yml', { workspace: path.join(root, 'ws'), source: sample.isoPath! });
    expect(imported.exitCode, imported.stdout).toBe(0);
    expect(imported.outputs).toMatchObject({
      workspace: path.join(root, 'ws'),
      manifest: path.join(root, 'ws', 'osmedia-manifest.json'),
      build: '10.0.26100.1742',
      changed: 'true',
    });
    expect(imported.summary).toContain('<td>Windows 11 Pro Education</td><td>ProfessionalEducation</td><td>10.0.26100.1742</td>');
    // Outside GitHub's services, the cache and the artifact are a notice, never a failure.
    expect(imported.stdout).toMatch(/^::notice title=osmedia::Saving the imported media to the Actions cache skipped: the cache service is not available/m);
    expect(imported.stdout).toMatch(/^::notice title=osmedia::Uploading the artifact skipped: not running in GitHub Actions/m);

    const stripped = await runAction('actions/strip-indexes/action.yml', { workspace: imported.outputs.workspace!, keep: 'Enterprise\nProfessional' });
    expect(stripped.exitCode, stripped.stdout).toBe(0);
    expect(stripped.summary).toMatch(/install\.wim: [\d.]+ KiB → [\d.]+ KiB/);
    expect(stripped.summary).not.toContain('ProfessionalEducation');

    const stamped = await runAction('actions/stamp-build-file/action.yml', { workspace: stripped.outputs.workspace! });
    expect(stamped.exitCode, stamped.stdout).toBe(0);
    const build = JSON.parse(await readFile(path.join(root, 'ws', 'media', 'sources', 'osmedia-build.json'), 'utf8'));
    expect(build.recipeRevision).toBe('0123456789abcdef0123456789abcdef01234567');

    const share = path.join(root, 'share');
    await mkdir(share);
    const published = await runAction('actions/distribute/action.yml', { workspace: stamped.outputs.workspace!, target: path.join(share, 'Win11') });
    expect(published.exitCode, published.stdout).toBe(0);
    expect(published.outputs.version).toMatch(/^26100\.1742-[0-9a-f]{8}$/);
    expect(published.summary).toMatch(/<h3>Distribution<\/h3>/);
    expect(published.summary).toContain(`<td>${path.join(share, 'Win11')}</td><td>${published.outputs.version}</td><td>published</td>`);

    // A workflow written for the former input name (targets) still works, with a warning to rename it.
    const again = await runAction('actions/distribute/action.yml', { workspace: stamped.outputs.workspace!, targets: path.join(share, 'Win11') });
    expect(again.outputs.changed).toBe('false');
    expect(again.stdout).toMatch(/^::warning::The input targets is now target/m);

    const ts = await runAction('actions/generate-task-sequence/action.yml', {
      workspace: stamped.outputs.workspace!,
      edition: 'Professional',
      'package-id': 'P0100123',
      'setup-options': '/DiagnosticPrompt Enable',
    });
    expect(ts.exitCode, ts.stdout).toBe(0);
    expect(ts.outputs['task-sequence']).toBe(path.join(root, 'ws', 'ts', 'osmedia-upgrade.xml'));
    expect(await readFile(ts.outputs['task-sequence']!, 'utf8')).toContain(
      '<variable name="OSDUpgradeInstallPackageID" property="InstallPackageID">P0100123</variable>',
    );
    expect(ts.summary).toMatch(/<h3>Task sequence<\/h3>\n<b>Upgrade to Windows 11 Pro<\/b>/);
  });

  it('apply-updates: a Setup DU applied and verified, with the updates table in the job summary', async () => {
    const sample = await sampleMedia();
    const root = await tempDir();
    const updates = await buildSampleUpdates({ dir: path.join(root, 'updates'), only: ['setupDu'] });
    const imported = await runAction('actions/import-media/action.yml', { workspace: path.join(root, 'ws'), source: sample.isoPath!, cache: 'false' });
    expect(imported.exitCode, imported.stdout).toBe(0);
    const applied = await runAction('actions/apply-updates/action.yml', { workspace: imported.outputs.workspace!, updates: updates.dir });
    expect(applied.exitCode, applied.stdout).toBe(0);
    // Unpinned: no cache key before reading the files, so no cache either (and no notice about it).
    expect(applied.stdout).not.toMatch(/updates (from|to) the Actions cache/);
    expect(applied.outputs).toMatchObject({ changed: 'true', build: '10.0.26100.1742' });
    expect(applied.summary).toContain('<td>media (sources/ and boot files)</td><td>—</td><td>—</td><td>KB5046619</td>');
    expect(applied.summary).toContain('<li>verified: sources/setup.exe equals boot.wim index 2</li>');
    // An unpinned update is a warning annotation, not a failure.
    expect(applied.stdout).toMatch(/^::warning title=osmedia apply-updates::windows11\.0-kb5046619-x64_setup\.cab has no SHA-256 pin/m);
  });

  it('apply-updates with a pinned folder: the cache is keyed by SHA256SUMS and degrades to a notice outside GitHub; logs and task sequence go to the artifact', async () => {
    const sample = await sampleMedia();
    const root = await tempDir();
    const updates = await buildSampleUpdates({ dir: path.join(root, 'updates'), only: ['setupDu'] });
    const sums = `${await hashFile(updates.files.setupDu)}  ${path.basename(updates.files.setupDu)}\n`;
    await writeFile(path.join(updates.dir, 'SHA256SUMS'), sums);
    expect(updatesCacheKey(sums)).toBe(updatesCacheKey(sums.replace('\n', '\r\n')));
    expect(updatesCacheKey(sums)).toMatch(/^osmedia-updates-v1-[0-9a-f]{64}$/);
    expect(updatesCacheKey(`${sums[0] === '0' ? '1' : '0'}${sums.slice(1)}`)).not.toBe(updatesCacheKey(sums));
    const imported = await runAction('actions/import-media/action.yml', { workspace: path.join(root, 'ws'), source: sample.isoPath!, cache: 'false' });
    const applied = await runAction('actions/apply-updates/action.yml', { workspace: imported.outputs.workspace!, updates: updates.dir });
    expect(applied.exitCode, applied.stdout).toBe(0);
    expect(applied.stdout).toMatch(/^::notice title=osmedia::Restoring the updates from the Actions cache skipped: the cache service is not available/m);
    expect(applied.stdout).toMatch(/^::notice title=osmedia::Saving the updates to the Actions cache skipped/m);
    await runAction('actions/generate-task-sequence/action.yml', { workspace: imported.outputs.workspace!, edition: 'Enterprise' });
    const files = (await artifactFiles(new Workspace(imported.outputs.workspace!))).map((f) =>
      path.relative(imported.outputs.workspace!, f).split(path.sep).join('/'),
    );
    expect(files).toEqual(expect.arrayContaining(['osmedia-manifest.json', 'ts/osmedia-upgrade.xml', 'ts/osmedia-upgrade.ps1']));
    expect(files.some((f) => f.startsWith('.osmedia/logs/'))).toBe(false); // nothing failed, so no tool log
  });

  it('distribute with a site: the package ID is an output, the distribution points are in the summary (site replayed)', async () => {
    const sample = await sampleMedia();
    const root = await tempDir();
    // The stand-in PowerShell of test/configmgr: a site without the package, which it then creates as P0100456.
    const nal = '["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=P01"]\\\\DP01.contoso.com\\';
    const distribution = {
      packages: [{ PackageID: 'P0100456', SourceVersion: 1 }],
      assigned: [{ PackageID: 'P0100456', ServerNALPath: nal }],
      status: [{ PackageID: 'P0100456', ServerNALPath: nal, State: 0, SourceVersion: 1 }],
    };
    const site = await fakeSite({
      read: {
        siteCode: 'P01',
        upgradePackage: null,
        imagePackage: null,
        groups: [{ name: 'All DPs', groupId: '{1}' }],
        points: [],
        groupPackages: [],
        distribution: { packages: [], assigned: [], status: [] },
      },
      createdIds: { upgrade: 'P0100456' },
      status: [{ siteCode: 'P01', distribution }],
    });
    const imported = await runAction('actions/import-media/action.yml', { workspace: path.join(root, 'ws'), source: sample.isoPath!, cache: 'false' });
    const published = await runAction(
      'actions/distribute/action.yml',
      {
        workspace: imported.outputs.workspace!,
        target: path.join(root, 'share'),
        'site-code': 'P01',
        provider: 'cm01',
        'upgrade-package-name': 'Win11 <Ent> & "co"',
        'accept-license': 'true',
        'dp-group': 'All DPs',
        'wait-distribution': '60',
      },
      site.env,
    );
    expect(published.exitCode, published.stdout).toBe(0);
    expect(published.outputs['package-id']).toBe('P0100456');
    expect(published.summary).toContain('<h3>ConfigMgr site P01</h3>');
    // Names from the site, the media or a recipe are escaped in the summary's HTML.
    expect(published.summary).toContain('OS upgrade package <b>P0100456</b> (Win11 &lt;Ent&gt; &amp; &quot;co&quot;): created');
    expect(published.summary).toContain('<tr><td>DP01.contoso.com</td><td>P0100456</td><td>installed</td></tr>');
    expect(published.summary).toContain('<li>create the OS upgrade package &quot;Win11 &lt;Ent&gt; &amp; &quot;co&quot;&quot; from ');
    // The site scripts are kept with the run, for review.
    const files = (await artifactFiles(new Workspace(imported.outputs.workspace!))).map((f) =>
      path.relative(imported.outputs.workspace!, f).split(path.sep).join('/'),
    );
    expect(files).toEqual(expect.arrayContaining(['scripts/osmedia-site-read.ps1', 'scripts/osmedia-site-apply.ps1', 'scripts/osmedia-site-status.ps1']));
  });

  it('fails with an annotation and the fix, and still writes the summary', async () => {
    const sample = await sampleMedia();
    const root = await tempDir();
    await runAction('actions/import-media/action.yml', { workspace: path.join(root, 'ws'), source: sample.isoPath! });
    const failed = await runAction('actions/strip-indexes/action.yml', { workspace: path.join(root, 'ws'), keep: 'Enterprize' });
    expect(failed.exitCode, 'exit 2: bad usage or input').toBe(2);
    expect(failed.outputs['exit-code']).toBe('2');
    expect(failed.stdout).toMatch(/^::error title=osmedia strip-indexes failed::No image in install.wim matches "Enterprize"/m);
    expect(failed.stdout).toMatch(/fix: Use an EditionID/);
    // The manifest and logs are kept (here: the artifact fallback notice) on failure too.
    expect(failed.stdout).toMatch(/^::notice title=osmedia::Uploading the artifact skipped/m);
    expect(failed.summary).toContain('<td>strip-indexes</td><td>failed</td><td>No image in install.wim matches');
  });

  it('the top-level action runs a recipe, then finds nothing changed', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    const updates = await buildSampleUpdates({ dir: path.join(dir, 'updates'), only: ['setupDu'] });
    await writeFile(path.join(updates.dir, 'SHA256SUMS'), `${await hashFile(updates.files.setupDu)}  ${path.basename(updates.files.setupDu)}\n`);
    await writeFile(recipe, `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nupdates:\n  from: updates\n`);
    const first = await runAction('action.yml', { recipe });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ changed: 'true', build: '10.0.26100.1742', workspace: path.join(dir, 'ws') });
    // A recipe run uses the caches too (here, outside GitHub, they are a notice).
    expect(first.stdout).toMatch(/^::notice title=osmedia::Saving the imported media to the Actions cache skipped/m);
    expect(first.stdout).toMatch(/^::notice title=osmedia::Restoring the updates from the Actions cache skipped/m);
    expect(first.summary).toContain('<td>media (sources/ and boot files)</td><td>—</td><td>—</td><td>KB5046619</td>');
    const second = await runAction('action.yml', { recipe });
    expect(second.outputs.changed).toBe('false');
    const neither = await runAction('action.yml', {});
    expect(neither.exitCode).toBe(2);
    expect(neither.stdout).toMatch(/Give the action a recipe, or a step/);
  });
});
