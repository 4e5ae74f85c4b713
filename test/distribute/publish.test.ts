import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCurrent, readPublished, versionName } from '../../src/distribute/published.ts';
import { verifyTarget } from '../../src/distribute/verify.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { distribute } from '../../src/steps/distribute.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { LockedError, MediaError, UsageError } from '../../src/util/errors.ts';
import { acquireLock } from '../../src/util/lock.ts';
import { hashFile, listTree } from '../../src/util/fs.ts';
import { makeUnwritable, readJson, runCli, snapshot, tempDir, testContext } from '../helpers.ts';
import { publishTo, restamp, stampedWorkspace, strip } from './helpers.ts';

const manifestOf = (workspace: string) => readJson(path.join(workspace, 'osmedia-manifest.json'));

/** The published folder holds exactly the workspace media, byte for byte, read-only, with its mtimes. */
async function expectSameMedia(workspace: string, dir: string): Promise<void> {
  const manifest = await manifestOf(workspace);
  const files = (await listTree(dir)).filter((f) => f.path !== 'osmedia-published.json');
  expect(files.map((f) => [f.path, f.size])).toEqual(manifest.files.map((f: any) => [f.path, f.size]));
  // mtimes are kept (within the 2 ms that setting a time through seconds can cost)
  for (const [i, f] of files.entries()) expect(Math.abs(f.mtimeMs - manifest.files[i].mtimeMs), f.path).toBeLessThanOrEqual(2);
  for (const file of manifest.files) {
    const full = path.join(dir, file.path);
    expect(await hashFile(full), file.path).toBe(file.sha256);
    expect((await stat(full)).mode & 0o222, `${file.path} is read-only`).toBe(0);
  }
}

describe('distribute, versioned layout', () => {
  it('publishes to two targets, then re-publishes nothing, then copies only the one changed file', async () => {
    const workspace = await stampedWorkspace();
    const root = await tempDir();
    const targets = [path.join(root, 'share-a', 'Win11'), path.join(root, 'share-b', 'Win11')];
    await mkdir(path.dirname(targets[0]!));
    await mkdir(path.dirname(targets[1]!));
    const first = await publishTo(workspace, targets);
    const version = versionName(await manifestOf(workspace));
    expect(version).toMatch(/^26100\.1742-[0-9a-f]{8}$/);
    for (const [i, target] of targets.entries()) {
      expect(first[i]).toMatchObject({
        action: 'published',
        version,
        filesCopied: (await manifestOf(workspace)).files.length,
        filesLinked: 0,
        verified: { ok: true },
      });
      expect(await readCurrent(target)).toMatchObject({ version, previous: null, build: '10.0.26100.1742' });
      await expectSameMedia(workspace, path.join(target, version));
      expect((await readPublished(path.join(target, version)))?.fingerprint).toBe((await manifestOf(workspace)).fingerprint);
      expect(await readdir(target)).toEqual([version, 'current.json'].sort());
    }

    const again = await publishTo(workspace, targets);
    expect(again.map((r) => [r.action, r.filesCopied, r.filesLinked])).toEqual([
      ['unchanged', 0, 0],
      ['unchanged', 0, 0],
    ]);

    await strip(workspace, ['Enterprise']);
    const changed = await publishTo(workspace, targets);
    const newVersion = versionName(await manifestOf(workspace));
    expect(newVersion).not.toBe(version);
    const total = (await manifestOf(workspace)).files.length;
    expect(changed.map((r) => [r.filesCopied, r.filesLinked])).toEqual([
      [1, total - 1],
      [1, total - 1],
    ]);
    expect(changed[0]!.copy).toEqual(['sources/install.wim']);
    for (const target of targets) {
      expect(await readCurrent(target)).toMatchObject({ version: newVersion, previous: version });
      await expectSameMedia(workspace, path.join(target, newVersion));
      // The previous version is untouched and still complete.
      expect((await verifyTarget(target, version, new CollectingReporter())).ok).toBe(true);
    }
  });

  it('keeps the newest --keep versions and never deletes the current one', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    const versions: string[] = [];
    for (const revision of ['r2', 'r3', 'r4']) {
      await restamp(workspace, revision);
      await publishTo(workspace, [target], { keep: 2 });
      versions.push(versionName(await manifestOf(workspace)));
    }
    const onDisk = (await readdir(target)).filter((n) => n !== 'current.json').sort();
    expect(onDisk).toEqual(versions.slice(1).sort());
    await publishTo(workspace, [target], { keep: 1 });
    expect((await readdir(target)).sort()).toEqual([versions[2]!, 'current.json'].sort());
    expect((await readCurrent(target))?.version).toBe(versions[2]);
  });

  it('a dry run lists what would be copied and linked, and writes nothing', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    await strip(workspace, ['Professional']);
    const before = await snapshot(target);
    const result = await runCli(['distribute', '--workspace', workspace, '--target', target, '--dry-run', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [plan] = result.json().targets;
    expect(plan).toMatchObject({ action: 'dry-run', copy: ['sources/install.wim'], removeVersions: [] });
    expect(plan.link).toContain('setup.exe');
    expect(await snapshot(target)).toBe(before);
    const text = await runCli(['distribute', '--workspace', workspace, '--target', target, '--dry-run']);
    expect(text.stdout).toMatch(/would copy 1, replace 0, link \d+\n {2}copy {4}sources\/install\.wim/);
  });
});

describe('distribute, mirror layout', () => {
  it('publishes to two targets, re-publishes nothing, replaces one changed file, deletes a stray one', async () => {
    const workspace = await stampedWorkspace();
    const root = await tempDir();
    const targets = [path.join(root, 'a'), path.join(root, 'b')];
    const first = await publishTo(workspace, targets, { layout: 'mirror' });
    expect(first.map((r) => r.action)).toEqual(['published', 'published']);
    for (const target of targets) await expectSameMedia(workspace, target);
    // Nothing of the staging area is left beside the folders.
    expect((await readdir(root)).sort()).toEqual(['a', 'b']);

    const again = await publishTo(workspace, targets, { layout: 'mirror' });
    expect(again.map((r) => [r.action, r.filesCopied])).toEqual([
      ['unchanged', 0],
      ['unchanged', 0],
    ]);

    await writeFile(path.join(targets[0]!, 'sources', 'stray.txt'), 'left by someone');
    await strip(workspace, ['Enterprise']);
    const changed = await publishTo(workspace, targets, { layout: 'mirror' });
    expect(changed[0]).toMatchObject({ filesCopied: 1, replace: ['sources/install.wim'], delete: ['sources/stray.txt'] });
    expect(changed[1]).toMatchObject({ filesCopied: 1, delete: [] });
    for (const target of targets) await expectSameMedia(workspace, target);
  });

  it('notices a file changed on the target by size or mtime and replaces it', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'mirror');
    await publishTo(workspace, [target], { layout: 'mirror' });
    const file = path.join(target, 'setup.exe');
    await chmod(file, 0o644);
    await writeFile(file, 'tampered');
    const result = await publishTo(workspace, [target], { layout: 'mirror' });
    expect(result[0]).toMatchObject({ replace: ['setup.exe'], filesCopied: 1 });
    await expectSameMedia(workspace, target);
  });

  it('refuses a folder with files that osmedia did not publish', async () => {
    const workspace = await stampedWorkspace();
    const target = await tempDir();
    await writeFile(path.join(target, 'important.docx'), 'not media');
    await expect(publishTo(workspace, [target], { layout: 'mirror' })).rejects.toThrow(UsageError);
    expect(await readdir(target)).toEqual(['important.docx']);
  });
});

describe('verify', () => {
  it('catches a changed, a missing and an extra file, and exits 1', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    const ok = await runCli(['verify', '--target', target, '--json']);
    expect(ok.exitCode).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, layout: 'versioned', missing: [], changed: [], extra: [] });

    const dir = path.join(target, (await readCurrent(target))!.version);
    await chmod(path.join(dir, 'sources', 'setup.exe'), 0o644);
    await writeFile(path.join(dir, 'sources', 'setup.exe'), 'tampered');
    await chmod(path.join(dir, 'bootmgr'), 0o644);
    await rm(path.join(dir, 'bootmgr'));
    await writeFile(path.join(dir, 'sources', 'ei.cfg'), '[EditionID]\r\nEnterprise\r\n');
    const bad = await runCli(['verify', '--target', target, '--json']);
    expect(bad.exitCode).toBe(1);
    expect(bad.json()).toMatchObject({ ok: false, missing: ['bootmgr'], changed: ['sources/setup.exe'], extra: ['sources/ei.cfg'] });
    const text = await runCli(['verify', '--target', target]);
    expect(text.stdout).toMatch(/MISMATCH/);
    expect(text.stdout).toMatch(/missing +bootmgr\n +changed +sources\/setup\.exe\n +extra +sources\/ei\.cfg/);

    // A damaged current version is not silently re-used by the next publish.
    await expect(publishTo(workspace, [target])).rejects.toThrow(/no longer matches its manifest/);
  });

  it('--all checks every kept version and fails when any is damaged', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    const first = (await readCurrent(target))!.version;
    await restamp(workspace, 'r9');
    await publishTo(workspace, [target]);
    const all = await runCli(['verify', '--target', target, '--all', '--json']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json().versions.map((v: any) => [v.version, v.ok])).toEqual(
      expect.arrayContaining([
        [first, true],
        [(await readCurrent(target))!.version, true],
      ]),
    );
    // Damage a file of the older version only (unchanged files are hard links shared by both
    // versions; the build file differs between them): only --all sees it.
    await chmod(path.join(target, first, 'sources', 'osmedia-build.txt'), 0o644);
    await writeFile(path.join(target, first, 'sources', 'osmedia-build.txt'), 'tampered');
    expect((await runCli(['verify', '--target', target])).exitCode).toBe(0);
    const damaged = await runCli(['verify', '--target', target, '--all']);
    expect(damaged.exitCode).toBe(1);
    expect(damaged.stdout).toMatch(new RegExp(`${first} \\(versioned, version ${first}\\): MISMATCH[^\\n]*\\n +changed +sources/osmedia-build\\.txt`));
    expect((await runCli(['verify', '--target', target, '--all', '--version', first])).exitCode).toBe(2);
  });

  it('checks a mirror, and says so when a folder holds no publication', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'mirror');
    await publishTo(workspace, [target], { layout: 'mirror' });
    expect(await verifyTarget(target, undefined, new CollectingReporter())).toMatchObject({ ok: true, layout: 'mirror' });
    await expect(verifyTarget(await tempDir(), undefined, new CollectingReporter())).rejects.toThrow(/holds no media published by osmedia/);
  });
});

describe('concurrency and failures', () => {
  it('a second publish to a locked target fails clearly, or waits when asked', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await mkdir(target);
    const release = await acquireLock(path.join(target, '.osmedia-lock'), {
      what: 'the target',
      command: 'osmedia distribute (other pipeline)',
      reporter: new CollectingReporter(),
    });
    const error = await publishTo(workspace, [target]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toMatch(/is in use by "osmedia distribute \(other pipeline\)"/);
    expect((error as LockedError).fix).toMatch(/--wait/);
    expect(await readCurrent(target)).toBeUndefined();

    // The other pipeline finishes once this one reports that it waits: an event, not a timer.
    const context = testContext(workspace);
    const emit = context.reporter.emit.bind(context.reporter);
    context.reporter.emit = (event) => {
      emit(event);
      if (event.type === 'info' && event.message.startsWith('waiting for the target')) void release();
    };
    const waited = await runStep(distribute, { targets: [target], wait: 600 }, context, 'test');
    expect(context.reporter.messages('info').some((m) => m.startsWith('waiting for the target'))).toBe(true);
    expect(waited.result).toBe('succeeded');
    expect(await readCurrent(target)).toBeDefined();
  });

  it('a missing parent folder, an over-long path and a read-only target get clear errors', async () => {
    const workspace = await stampedWorkspace();
    const root = await tempDir();
    await expect(publishTo(workspace, [path.join(root, 'no', 'such', 'share')])).rejects.toThrow(/parent folder of the target, .*no\/such, does not exist/);
    await expect(publishTo(workspace, [path.join(root, 'x'.repeat(256))])).rejects.toThrow(/longer than 255 characters/);
    const readOnly = path.join(root, 'ro');
    await mkdir(readOnly);
    const undo = await makeUnwritable(readOnly);
    if (!undo) return; // this file system cannot make a folder read-only for root
    try {
      const error = await publishTo(workspace, [path.join(readOnly, 'Win11')]).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/is not writable \((EACCES|EPERM)/);
      expect((error as MediaError).fix).toMatch(/write access/);
    } finally {
      await undo();
    }
  });
});

describe('preflight', () => {
  it('refuses a path longer than Windows allows, and warns above the classic 260', async () => {
    const { preflight } = await import('../../src/distribute/target-fs.ts');
    const { nameProblems } = await import('../../src/distribute/names.ts');
    const parent = await tempDir();
    const deep = Array.from({ length: 1300 }, () => 'abcdefghijklmnopqrstuvwxy').join('/');
    expect(nameProblems([`${deep}/setup.exe`], path.join(parent, 'Win11').length)[0]).toMatch(/over Windows' 32767/);
    const warnings = await preflight(path.join(parent, 'Win11'), [`${'x'.repeat(200)}/${'y'.repeat(100)}.wim`], 0);
    expect(warnings[0]).toMatch(/longest published path is \d+ characters/);
    expect(await preflight(path.join(parent, 'Win11'), ['sources/install.wim'], 0)).toEqual([]);
  });
});

describe('plan', () => {
  it("shows per target what a recipe's distribute would copy when the media is unchanged", async () => {
    const { sampleMedia } = await import('../helpers.ts');
    const sample = await sampleMedia();
    const dir = await tempDir();
    await mkdir(path.join(dir, 'share'));
    const recipe = path.join(dir, 'osmedia.yml');
    await writeFile(recipe, `workspace: ws\nmedia:\n  source: ${sample.isoPath}\nstamp:\n  revision: r1\ndistribute:\n  targets: [share/Win11]\n`);
    expect((await runCli(['run', '--recipe', recipe])).exitCode).toBe(0);
    await writeFile(
      recipe,
      `workspace: ws\nmedia:\n  source: ${sample.isoPath}\nstamp:\n  revision: r1\ndistribute:\n  targets: [share/Win11, share/Win11-copy]\n`,
    );
    const plan = await runCli(['plan', '--recipe', recipe]);
    expect(plan.stdout).toMatch(
      /run {2}distribute\n.*share\/Win11 \[versioned [^\]]+\] would copy nothing\n.*share\/Win11-copy \[versioned [^\]]+\] would copy \d+, replace 0/,
    );
  });
});

describe('mirror guard', () => {
  it('refuses the root of a drive or share as a mirror target, before reading it', async () => {
    const workspace = await stampedWorkspace();
    await expect(publishTo(workspace, [path.parse(process.cwd()).root], { layout: 'mirror' })).rejects.toThrow(/cannot be the root of a drive or share/);
  });
});
