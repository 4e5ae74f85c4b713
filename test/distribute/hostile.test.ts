// Attacks by someone with write access to a publish target (issue 16): a planted link in the
// target, and a file of the current version changed in place (same size and mtime).
import { chmod, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCurrent } from '../../src/distribute/published.ts';
import { verifyAllVersions, verifyTarget } from '../../src/distribute/verify.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { readJson, snapshot, tempDir } from '../helpers.ts';
import { publishTo, restamp, stampedWorkspace } from './helpers.ts';

describe('a link planted in a target', () => {
  it('a mirror refuses a folder that is a symlink, naming it, and nothing outside changes', async () => {
    const workspace = await stampedWorkspace();
    const root = await tempDir();
    const target = path.join(root, 'Win11');
    await publishTo(workspace, [target], { layout: 'mirror' });
    // The attacker replaces the target's sources folder with a link to somewhere else.
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, 'precious.txt'), 'keep me');
    const { rm } = await import('node:fs/promises');
    await chmod(path.join(target, 'osmedia-published.json'), 0o644);
    await rm(path.join(target, 'sources'), { recursive: true, force: true });
    await symlink(elsewhere, path.join(target, 'sources'));
    const before = await snapshot(elsewhere);
    const error = await publishTo(workspace, [target], { layout: 'mirror' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/holds 1 link\(s\) osmedia will not write through: .*Win11\/sources/);
    expect(await snapshot(elsewhere)).toEqual(before);
    expect(await readdir(elsewhere)).toEqual(['precious.txt']);
  });

  it('a planted mirror side folder or versioned staging folder is refused before anything is written through it', async () => {
    const workspace = await stampedWorkspace();
    const root = await tempDir();
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(root, '.Win11.osmedia'));
    await expect(publishTo(workspace, [path.join(root, 'Win11')], { layout: 'mirror' })).rejects.toThrow(/will not write through: .*\.Win11\.osmedia/);
    const versioned = path.join(root, 'Versioned');
    await mkdir(versioned);
    await symlink(elsewhere, path.join(versioned, '.osmedia-staging'));
    await expect(publishTo(workspace, [versioned])).rejects.toThrow(/will not write through: .*\.osmedia-staging/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe('a damaged file in the current version', () => {
  it('is not linked into the next version: it is copied afresh, named, and the next version verifies', async () => {
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    const v1 = (await readCurrent(target))!.version;
    // Changed in place with the same size and mtime: invisible to size-and-mtime checks.
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    const victim = manifest.files.find((f: any) => f.path === 'setup.exe') ?? manifest.files[0];
    const file = path.join(target, v1, ...victim.path.split('/'));
    const info = await stat(file);
    await chmod(file, 0o644);
    await writeFile(file, Buffer.alloc(info.size, 0x42));
    await utimes(file, info.atime, info.mtime);
    await chmod(file, 0o444);

    await restamp(workspace, 'r2');
    const [result] = await publishTo(workspace, [target]);
    const v2 = (await readCurrent(target))!.version;
    expect(v2).not.toBe(v1);
    expect(result!.filesCopied).toBeGreaterThanOrEqual(2); // the build file that changed, and the victim
    expect(result!.warnings.join('\n')).toContain(victim.path);
    expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);
    // The damaged version stays damaged (not ours to repair), and verify --all names it.
    const all = await verifyAllVersions(target, new CollectingReporter());
    expect(all.find((r) => r.version === v1)!.changed).toEqual([victim.path]);
    expect(
      (await readFile(path.join(target, v2, ...victim.path.split('/')))).equals(await readFile(path.join(workspace, 'media', ...victim.path.split('/')))),
    ).toBe(true);
  });
});

describe('a server-side copy from the previous version (Windows, where links fail)', () => {
  it('is hashed before it counts: a damaged previous file is streamed from the workspace instead', async () => {
    const { Workspace } = await import('../../src/media/workspace.ts');
    const { stageFiles } = await import('../../src/distribute/staging.ts');
    const workspace = await stampedWorkspace();
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    const v1 = path.join(target, (await readCurrent(target))!.version);
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    const victim = manifest.files[0];
    const file = path.join(v1, ...victim.path.split('/'));
    const info = await stat(file);
    await chmod(file, 0o644);
    await writeFile(file, Buffer.alloc(info.size, 0x43));
    const stage = path.join(target, '.osmedia-staging', 'next');
    await mkdir(stage, { recursive: true });
    const reporter = new CollectingReporter();
    const counts = await stageFiles(new Workspace(workspace), manifest.files, stage, `${stage}.done`, reporter, target, {
      dir: v1,
      files: new Map(manifest.files.map((f: any) => [f.path, f])),
      mode: 'server-copy',
    });
    expect(counts).toMatchObject({ copied: manifest.files.length, linked: 0, damaged: [victim.path] });
    expect(reporter.messages('warning')[0]).toContain('copied from the workspace instead');
    for (const f of manifest.files) expect(await hashFileOf(path.join(stage, ...f.path.split('/'))), f.path).toBe(f.sha256);
  });
});

async function hashFileOf(file: string): Promise<string> {
  const { hashFile } = await import('../../src/util/fs.ts');
  return hashFile(file);
}
