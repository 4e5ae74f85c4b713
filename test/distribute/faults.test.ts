// Kills publishes (SIGKILL) at many points and checks what a reader of the target sees: the
// complete previous version or the complete new one, never a mix; then that a re-run converges.
import { execa } from 'execa';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCurrent, readPublished, versionName } from '../../src/distribute/published.ts';
import { verifyTarget } from '../../src/distribute/verify.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { hashFile, listTree } from '../../src/util/fs.ts';
import { node24, readJson, repoRoot, runCli, tempDir } from '../helpers.ts';
import { copyTarget, publishTo, stampedWorkspace, strip } from './helpers.ts';

const cli = (args: string[], env: Record<string, string> = {}) =>
  execa(node24, [path.join(repoRoot, 'src', 'main.ts'), ...args], { reject: false, env: { CI: 'true', ...env }, stdin: 'ignore' });

/** Offsets spread over the bytes a publish copies: the first, then evenly to just before the end. */
function offsets(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor((total * i) / count));
}

describe('publish killed at many points', () => {
  it('versioned: a reader always sees a complete version, and a re-run converges', async () => {
    const workspace = await stampedWorkspace({ payloadBytes: 512 * 1024 });
    const target = path.join(await tempDir(), 'Win11');
    await publishTo(workspace, [target]);
    const oldVersion = (await readCurrent(target))!.version;
    await strip(workspace, ['Enterprise', 'Professional']);
    const newVersion = versionName(await readJson(path.join(workspace, 'osmedia-manifest.json')));
    const pristine = await copyTarget(target);
    const bytes = (await readJson(path.join(workspace, 'osmedia-manifest.json'))).files.find((f: any) => f.path === 'sources/install.wim').size;

    const kills = [
      ...offsets(bytes, 12).map((n) => ({ OSMEDIA_FAULT_AFTER_BYTES: String(n) })),
      ...['publish-staged', 'publish-renamed', 'publish-current'].map((p) => ({ OSMEDIA_FAULT_POINT: p })),
    ];
    for (const fault of kills) {
      const t = await copyTarget(pristine);
      const killed = await cli(['distribute', '--workspace', workspace, '--target', t], fault);
      expect(killed.signal, JSON.stringify(fault)).toBe('SIGKILL');
      // The reader: follow current.json and check the whole version against its manifest.
      const current = (await readCurrent(t))!;
      expect([oldVersion, newVersion]).toContain(current.version);
      expect((await verifyTarget(t, undefined, new CollectingReporter())).ok, JSON.stringify(fault)).toBe(true);
      // And the re-run finishes the job.
      const rerun = await runCli(['distribute', '--workspace', workspace, '--target', t, '--json']);
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect((await readCurrent(t))!.version).toBe(newVersion);
      expect((await verifyTarget(t, undefined, new CollectingReporter())).ok).toBe(true);
      expect((await readdir(t)).filter((n) => n.startsWith('.'))).toEqual([]);
    }
    expect(kills.length).toBe(15);
  });

  it('mirror: every file is either wholly old or wholly new after any kill, and a re-run converges', async () => {
    const workspace = await stampedWorkspace({ payloadBytes: 512 * 1024 });
    const root = await tempDir();
    const target = path.join(root, 'mirror');
    await publishTo(workspace, [target], { layout: 'mirror' });
    const before = (await readPublished(target))!;
    await strip(workspace, ['Education']);
    const after = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    const allowed = new Map<string, Set<string>>();
    for (const f of [...before.files, ...after.files]) allowed.set(f.path, (allowed.get(f.path) ?? new Set()).add(f.sha256));
    const pristine = await copyTarget(target);
    const bytes = after.files.find((f: any) => f.path === 'sources/install.wim').size;

    const kills = [...offsets(bytes, 8).map((n) => ({ OSMEDIA_FAULT_AFTER_BYTES: String(n) })), { OSMEDIA_FAULT_POINT: 'mirror-swapped' }];
    for (const fault of kills) {
      const parent = await tempDir();
      const t = path.join(parent, 'mirror');
      await mkdir(t);
      const { cp } = await import('node:fs/promises');
      await cp(pristine, t, { recursive: true, preserveTimestamps: true });
      const killed = await cli(['distribute', '--workspace', workspace, '--target', t, '--layout', 'mirror'], fault);
      expect(killed.signal, JSON.stringify(fault)).toBe('SIGKILL');
      for (const file of await listTree(t)) {
        if (file.path === 'osmedia-published.json') continue;
        expect(allowed.get(file.path)?.has(await hashFile(path.join(t, file.path))), `${file.path} after ${JSON.stringify(fault)}`).toBe(true);
      }
      const rerun = await runCli(['distribute', '--workspace', workspace, '--target', t, '--layout', 'mirror']);
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect((await verifyTarget(t, undefined, new CollectingReporter())).ok).toBe(true);
      expect((await readPublished(t))!.fingerprint).toBe(after.fingerprint);
      expect(await readdir(parent)).toEqual(['mirror']);
    }
  });
});

describe('a re-run after a kill', () => {
  it('reuses the files the killed run had already copied and verified', async () => {
    const workspace = await stampedWorkspace({ payloadBytes: 512 * 1024 });
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    const total = manifest.files.reduce((s: number, f: any) => s + f.size, 0);
    const target = path.join(await tempDir(), 'Win11');
    const killed = await cli(['distribute', '--workspace', workspace, '--target', target], { OSMEDIA_FAULT_AFTER_BYTES: String(Math.floor(total * 0.9)) });
    expect(killed.signal).toBe('SIGKILL');
    expect(await readCurrent(target)).toBeUndefined();
    const rerun = await runCli(['distribute', '--workspace', workspace, '--target', target, '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const [result] = rerun.json().targets;
    expect(result.filesSkipped).toBeGreaterThan(0);
    expect(result.filesCopied + result.filesSkipped).toBe(manifest.files.length);
    expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);
  });
});

describe('a full disk', () => {
  it('is refused before copying, with the previous version intact and current', async (ctx) => {
    const workspace = await stampedWorkspace({ payloadBytes: 3 * 1024 * 1024 });
    const mount = await tempDir();
    // A real small file system: needs the right to mount (root with CAP_SYS_ADMIN); skipped elsewhere.
    if ((await execa('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mount], { reject: false })).exitCode !== 0) ctx.skip();
    try {
      const target = path.join(mount, 'Win11');
      // A small first version fits; the full media does not.
      await strip(workspace, ['Enterprise']);
      await publishTo(workspace, [target]);
      const current = (await readCurrent(target))!.version;
      const big = await stampedWorkspace({ payloadBytes: 3 * 1024 * 1024, label: 'BIGGER' });
      const result = await runCli(['distribute', '--workspace', big, '--target', target]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/has [\d.]+ MiB free but this publish needs [\d.]+ MiB/);
      expect(result.stderr).toMatch(/^fix: Free space on the share/m);
      expect((await readCurrent(target))!.version).toBe(current);
      expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);
    } finally {
      await execa('umount', [mount]);
    }
  });
});
