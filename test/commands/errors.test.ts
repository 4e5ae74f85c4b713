// Errors a person can act on, doing what the user did: a missing or mistyped flag, a recipe typo,
// one value where a list is expected, a Windows path in YAML double quotes, a locked workspace.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_MEANINGS, ExitCode } from '../../src/util/errors.ts';
import { repoRoot, runCli, sampleMedia, tempDir } from '../helpers.ts';
import { readFile } from 'node:fs/promises';

describe('errors a person can act on', () => {
  it('a missing required flag says "--keep is required" with an example command, exit 2', async () => {
    const result = await runCli(['strip-indexes', '--workspace', 'ws']);
    expect(result.exitCode).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(/^error: --keep is required$/m);
    expect(result.stderr).toMatch(/^ {2}osmedia strip-indexes --workspace \S+ --keep Enterprise$/m);
    expect(result.stderr).not.toMatch(/expected array|received undefined/);
    const json = await runCli(['import-media', '--workspace', 'ws', '--json']);
    expect(json.json()).toMatchObject({ ok: false, error: { type: 'UsageError', message: '--source is required' } });
    // A nested option (the site) names the missing flag, and the example has the site's other required flags.
    const site = await runCli(['distribute', '--workspace', 'ws', '--target', 'share', '--site-code', 'P01', '--provider', 'cm01', '--accept-license']);
    expect(site.exitCode).toBe(2);
    expect(site.stderr).toMatch(/^error: --upgrade-package-name is required$/m);
    expect(site.stderr).toMatch(/--site-code P01 --provider \S+ --upgrade-package-name "Windows 11 24H2 Enterprise" --accept-license/);
  });

  it('an unknown flag or --args-file key suggests the nearest valid one', async () => {
    const flag = await runCli(['strip-indexes', '--workspace', 'ws', '--kepe', 'Enterprise']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/^error: Unknown option --kepe; did you mean --keep\?$/m);
    const far = await runCli(['strip-indexes', '--frobnicate']);
    expect(far.stderr).toMatch(/^error: Unknown option --frobnicate$/m);
    const dir = await tempDir();
    const args = path.join(dir, 'args.json');
    await writeFile(args, JSON.stringify({ workspace: 'ws', targets: ['share'], site: { siteCode: 'P01', provder: 'cm01' } }));
    const nested = await runCli(['distribute', '--args-file', args]);
    expect(nested.exitCode).toBe(2);
    expect(nested.stderr).toMatch(/"site\.provder": unknown key; did you mean "site\.provider"\?/);
    await writeFile(args, JSON.stringify({ workspace: 'ws', kepe: ['Enterprise'] }));
    expect((await runCli(['strip-indexes', '--args-file', args])).stderr).toMatch(/unknown key "kepe" for strip-indexes; did you mean "keep"\?/);
  });

  it('a recipe typo is named once, by its full path, with the nearest key', async () => {
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, 'media:\n  source: x.iso\n  kepe: Enterprise\nupdates:\n  from: u\n  cleanp: false\n');
    const result = await runCli(['plan', '--recipe', recipe]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^ {2}media\.kepe: unknown key; did you mean media\.keep\?$/m);
    expect(result.stderr).toMatch(/^ {2}updates\.cleanp: unknown key; did you mean updates\.cleanup\?$/m);
    expect(result.stderr.match(/kepe/g)).toHaveLength(1);
  });

  it('one value where a list is expected is a one-element list: recipe, --args-file', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, `workspace: ws\nmedia:\n  source: '${sample.isoPath}'\n  keep: Enterprise\nstamp: false\n`);
    const run = await runCli(['run', '--recipe', recipe, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(dir, 'ws', 'osmedia-manifest.json'), 'utf8'));
    expect(manifest.installWim.images.map((i: { editionId: string }) => i.editionId)).toEqual(['Enterprise']);
    // The same in an --args-file (Jenkins writes keep: 'Enterprise' as a string), for a second workspace.
    const args = path.join(dir, 'args.json');
    const imported = await runCli(['import-media', '--workspace', path.join(dir, 'ws2'), '--source', sample.isoPath!]);
    expect(imported.exitCode, imported.stderr).toBe(0);
    // null means "not set" (the Jenkins library writes absent optional fields as null).
    await writeFile(args, JSON.stringify({ workspace: path.join(dir, 'ws2'), keep: 'Professional', engine: null }));
    const stripped = await runCli(['strip-indexes', '--args-file', args, '--json']);
    expect(stripped.exitCode, stripped.stderr).toBe(0);
    expect(stripped.json()).toMatchObject({ images: [{ editionId: 'Professional' }] });
  });

  it('a Windows path in YAML double quotes gets the hint to use single quotes', async () => {
    const dir = await tempDir();
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, 'media:\n  source: "C:\\iso\\win11.iso"\n');
    const result = await runCli(['plan', '--recipe', recipe]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/not valid YAML \(line 2, column \d+\): Invalid escape sequence \\i/);
    expect(result.stderr).toMatch(/^fix: A Windows path in double quotes .*single quotes \('C:\\iso\\win11\.iso'/m);
    // As the hint says, single quotes work: the recipe is read (and fails later, on the missing ISO, not on YAML).
    await writeFile(recipe, "media:\n  source: 'C:\\iso\\win11.iso'\n");
    expect((await runCli(['plan', '--recipe', recipe])).stderr).not.toMatch(/not valid YAML/);
  });

  it('a workspace locked by another run that is still going exits 3, naming it', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const workspace = path.join(dir, 'ws');
    expect((await runCli(['import-media', '--workspace', workspace, '--source', sample.isoPath!])).exitCode).toBe(0);
    // The other run: this test's own process (alive, same host) holds the lock.
    await writeFile(
      path.join(workspace, '.osmedia', 'lock'),
      JSON.stringify({ host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), command: 'osmedia run (another pipeline)' }),
    );
    const result = await runCli(['strip-indexes', '--workspace', workspace, '--keep', 'Enterprise', '--json']);
    expect(result.exitCode).toBe(ExitCode.locked);
    expect(result.json()).toMatchObject({
      ok: false,
      error: { type: 'LockedError', message: expect.stringMatching(/in use by "osmedia run \(another pipeline\)"/) },
    });
  });

  it('one exit-code table: the help, the README, the Jenkins library and the Action say the same', async () => {
    const line = Object.entries(EXIT_MEANINGS)
      .map(([code, meaning]) => `${code} ${meaning}`)
      .join(', ');
    expect((await runCli(['--help'])).stdout).toContain(`Exit codes: ${line}.`);
    expect((await runCli(['strip-indexes', '--help'])).stdout).toContain(`Exit codes: ${line}.`);
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    for (const [code, meaning] of Object.entries(EXIT_MEANINGS)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\| ${meaning} \\|`, 'm'));
    const groovy = await readFile(path.join(repoRoot, 'jenkins', 'vars', 'osmediaCli.groovy'), 'utf8');
    const map = /Map meanings = \[(.*)\]/.exec(groovy)![1]!;
    const fromGroovy = Object.fromEntries([...map.matchAll(/(\d+): '([^']+)'/g)].map((m) => [m[1], m[2]]));
    const { 0: _ok, ...failures } = EXIT_MEANINGS;
    expect(fromGroovy).toEqual(Object.fromEntries(Object.entries(failures)));
    const action = await readFile(path.join(repoRoot, 'action.yml'), 'utf8');
    expect(action).toContain(`exit-code:\n    description: "${line.replace(/^0 ok, /, '0 ok, ')}`);
  });
});
