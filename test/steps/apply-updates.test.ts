// apply-updates on Linux, for real: the Setup-DU part runs to the end (7-Zip expands the CAB,
// wimlib takes setup files and boot managers from boot.wim index 2) and is verified; a plan that
// needs DISM stops before changing anything and says where it can run.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WimlibEngine } from '../../src/imaging/wimlib.ts';
import { buildSampleUpdates, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { hashFile } from '../../src/util/fs.ts';
import { readJson, runCli, sampleMedia, snapshot, tempDir } from '../helpers.ts';

let month: SampleUpdates;
let setupOnly: SampleUpdates;

beforeAll(async () => {
  const dir = await tempDir();
  month = await buildSampleUpdates({ dir: path.join(dir, 'month') });
  setupOnly = await buildSampleUpdates({ dir: path.join(dir, 'setup'), only: ['setupDu'] });
});

async function workspace(): Promise<string> {
  const sample = await sampleMedia();
  const ws = path.join(await tempDir(), 'ws');
  expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws])).exitCode).toBe(0);
  expect((await runCli(['strip-indexes', '--workspace', ws, '--keep', 'Enterprise,Education'])).exitCode).toBe(0);
  return ws;
}

const mediaState = async (ws: string) => {
  const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
  return { media: await snapshot(path.join(ws, 'media')), fingerprint: manifest.fingerprint, updates: manifest.updates, images: manifest.installWim.images };
};

describe('apply-updates on Linux', () => {
  it('a Setup-DU-only plan runs to the end on the sample media and is verified; a re-run is skipped', async () => {
    const ws = await workspace();
    const sums = `${await hashFile(setupOnly.files.setupDu)}  ${path.basename(setupOnly.files.setupDu)}\n`;
    await writeFile(path.join(setupOnly.dir, 'SHA256SUMS'), sums);
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', setupOnly.dir, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      step: 'apply-updates',
      result: 'succeeded',
      message: 'applied KB5046619 to 1 target(s); install.wim 10.0.26100.1742',
    });
    expect(result.json().summary.verified).toEqual(['sources/setup.exe equals boot.wim index 2']);
    expect(result.json().summary.unpinned).toEqual([]);
    // The Setup DU's files are in sources/ (subfolders kept); setup.exe, setuphost.exe and the boot managers are boot.wim index 2's.
    const media = path.join(ws, 'media');
    expect(await hashFile(path.join(media, 'sources', 'appraiserres.dll'))).toBeTruthy();
    expect(await hashFile(path.join(media, 'sources', 'replacementmanifests', 'microsoft-windows-sample-replacement.man'))).toBeTruthy();
    const boot = path.join(await tempDir(), 'boot');
    await new WimlibEngine().extractFiles(
      path.join(media, 'sources', 'boot.wim'),
      2,
      ['sources/setup.exe', 'sources/setuphost.exe', 'Windows/Boot/EFI/bootmgfw.efi', 'Windows/Boot/EFI/bootmgr.efi'],
      boot,
    );
    for (const [onMedia, inBoot] of [
      ['sources/setup.exe', 'setup.exe'],
      ['sources/setuphost.exe', 'setuphost.exe'],
      ['efi/boot/bootx64.efi', 'bootmgfw.efi'],
      ['bootmgr.efi', 'bootmgr.efi'],
    ]) {
      expect(await hashFile(path.join(media, ...onMedia!.split('/'))), onMedia).toBe(await hashFile(path.join(boot, inBoot!)));
    }
    const manifest = await readJson(path.join(ws, 'osmedia-manifest.json'));
    expect(manifest.updates).toEqual([
      {
        target: 'media',
        kind: 'setup',
        kb: 'KB5046619',
        identity: `SetupDU~KB5046619~${(await hashFile(setupOnly.files.setupDu)).slice(0, 12)}`,
        file: path.basename(setupOnly.files.setupDu),
        sha256: await hashFile(setupOnly.files.setupDu),
      },
    ]);
    // A re-run first checks that the manifest describes media/ exactly (size and mtime of every file), then skips.
    const again = await runCli(['apply-updates', '--workspace', ws, '--updates', setupOnly.dir, '--json']);
    expect(again.json().result).toBe('skipped');
  });

  it('takes its options from an --args-file as Jenkins writes it ("updates" names the folder)', async () => {
    const ws = await workspace();
    const args = path.join(await tempDir(), 'args.json');
    await writeFile(args, JSON.stringify({ workspace: ws, updates: setupOnly.dir, skipRejected: false }));
    const result = await runCli(['apply-updates', '--args-file', args, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json().summary.applied.map((a: any) => a.kb)).toEqual(['KB5046619']);
  });

  it('a plan with an LCU stops before any change, shows the plan and says it needs a Windows runner', async () => {
    const ws = await workspace();
    const before = await mediaState(ws);
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', month.dir, '--skip-rejected']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('install.wim index 2: Windows 11 Enterprise  10.0.26100.1742 → 10.0.26100.2314');
    expect(result.stderr).toContain(
      'add cumulative update KB5046617 26100.2314.1.7 (its servicing stack 26100.2308.1.2 (SSU-26100.2308-x64.cab) is installed by DISM first)',
    );
    // Last month's LCU is named superseded and goes nowhere.
    expect(result.stderr).toMatch(/superseded KB5044284 \(26100\.2033\.1\.7\): superseded by KB5046617 \(26100\.2314\) and not a checkpoint: never installed/);
    expect(result.stderr).not.toContain('checkpoint(s) KB5044284');
    expect(result.stderr).toMatch(
      /error: This plan needs DISM, which runs only on Windows: WinRE .*install\.wim index 1, install\.wim index 2, boot\.wim index 1, boot\.wim index 2\. Nothing was changed/,
    );
    expect(result.stderr).toMatch(/fix: Run apply-updates on a Windows runner with DISM/);
    expect(await mediaState(ws)).toEqual(before);
  });

  it('an updates folder with no packages in it stops the step, saying so', async () => {
    const ws = await workspace();
    const empty = await tempDir();
    await writeFile(path.join(empty, 'README.txt'), 'November updates go here');
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', empty]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`error: No .msu or .cab files in ${empty} (only README.txt)`);
    const missing = await runCli(['apply-updates', '--workspace', ws, '--updates', path.join(empty, 'nope')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/error: The updates folder .*nope cannot be read \(ENOENT\)/);
  });

  it('rejected files stop the step unless --skip-rejected, naming each file and why', async () => {
    const ws = await workspace();
    const before = await mediaState(ws);
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', month.dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('error: 4 update file(s) cannot service this media:');
    expect(result.stderr).toContain('windows11.0-kb5046617-arm64_arm.cab: a package for arm64');
    expect(result.stderr).toContain('fix: Remove them from the updates folder (or the recipe), or pass --skip-rejected');
    expect(await mediaState(ws)).toEqual(before);
  });

  it('--dry-run prints the plan as a table and as JSON, and changes nothing', async () => {
    const ws = await workspace();
    const before = await mediaState(ws);
    const text = await runCli(['apply-updates', '--workspace', ws, '--updates', month.dir, '--dry-run']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^target\s+before\s+after\s+operations\s+updates\n/m);
    expect(text.stdout).toMatch(/^install\.wim:1\s+10\.0\.26100\.1742\s+10\.0\.26100\.2314\s+5\s+KB5046617, KB5045934$/m);
    expect(text.stdout).toMatch(/^superseded KB5044284 /m);
    const json = await runCli(['apply-updates', '--workspace', ws, '--updates', month.dir, '--dry-run', '--json']);
    const plan = json.json();
    expect(plan.dryRun).toBe(true);
    expect(plan.needsDism).toBe(true);
    expect(plan.targets.map((t: any) => t.target)).toEqual(['winre', 'install.wim:1', 'install.wim:2', 'boot.wim:1', 'boot.wim:2', 'media']);
    expect(plan.rejections).toHaveLength(4);
    expect(await mediaState(ws)).toEqual(before);
  });

  it('a recipe with an updates section applies them between strip and stamp, and its build file lists them', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'osmedia.yml'),
      `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nupdates:\n  from: ${setupOnly.dir}\nstamp:\n  revision: r1\n`,
    );
    const result = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--workspace', path.join(dir, 'ws'), '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json().steps.map((s: any) => `${s.step} ${s.result}`)).toEqual([
      'import-media succeeded',
      'strip-indexes succeeded',
      'apply-updates succeeded',
      'stamp-build-file succeeded',
    ]);
    const { readFile } = await import('node:fs/promises');
    const build = await readFile(path.join(dir, 'ws', 'media', 'sources', 'osmedia-build.txt'), 'utf8');
    expect(build).toContain('KB5046619 (Setup Dynamic Update: media)');
    const again = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--workspace', path.join(dir, 'ws'), '--json']);
    expect(again.json().steps.map((s: any) => s.result)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);

    // `plan` on media imported and stripped but not yet serviced shows the whole servicing plan.
    const ws2 = path.join(dir, 'ws2');
    expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', ws2])).exitCode).toBe(0);
    expect((await runCli(['strip-indexes', '--workspace', ws2, '--keep', 'Enterprise'])).exitCode).toBe(0);
    await writeFile(
      path.join(dir, 'month.yml'),
      `media:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nupdates:\n  from: ${month.dir}\n  skipRejected: true\n`,
    );
    const plan = await runCli(['plan', '--recipe', path.join(dir, 'month.yml'), '--workspace', ws2]);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /^skip strip-indexes\nrun {2}apply-updates\n\s+WinRE .*\n(.*\n)*\s+install\.wim index 1: Windows 11 Enterprise {2}10\.0\.26100\.1742 → 10\.0\.26100\.2314$/m,
    );
    expect(plan.stdout).toContain('rejected windows11.0-kb5046617-x64-express.cab: an online-only express payload');
  });
});
