// distribute and verify on a real SMB share (Samba through smbnetfs, test/smb/share.ts), with the
// client's traits left as they are: statfs 0/0, no link(), whole-second mtimes, no ftruncate (so
// no copyFile), refused characters, '?' dropped, case-insensitive names.
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCurrent, readPublished } from '../../src/distribute/published.ts';
import { verifyTarget } from '../../src/distribute/verify.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { hashFile } from '../../src/util/fs.ts';
import { readJson, runCli, testContext } from '../helpers.ts';
import { runStep } from '../../src/pipeline/run-step.ts';
import { distribute } from '../../src/steps/distribute.ts';
import { publishTo, restamp, stampedWorkspace } from '../distribute/helpers.ts';
import { smbUnavailable, startShare, type SmbShare } from './share.ts';

const skip = smbUnavailable();

describe.skipIf(skip)('distribute on a real SMB share', () => {
  let share: SmbShare;
  let workspace: string;
  beforeAll(async () => {
    [share, workspace] = await Promise.all([startShare(), stampedWorkspace()]);
  });
  afterAll(async () => {
    await share?.stop();
  });
  const manifestOf = () => readJson(path.join(workspace, 'osmedia-manifest.json'));

  it('versioned: publishes and verifies without links, free space unknown; re-publishes nothing; copies (not links) the next version', async () => {
    const target = path.join(share.dir, 'Win11');
    const context = testContext(workspace);
    const first = await runStep(distribute, { targets: [target] }, context, 'test');
    const files = (await manifestOf()).files;
    const [result] = (first.summary as { targets: any[] }).targets;
    expect(result).toMatchObject({ action: 'published', filesCopied: files.length, filesLinked: 0, verified: { ok: true } });
    expect(context.reporter.messages('warning').some((m) => /does not report its size \(0 total\): free space not checked/.test(m))).toBe(true);
    const version = (await readCurrent(target))!.version;
    // The server's own disk holds the media, byte for byte, with the media's mtimes to the second. The
    // share keeps whole seconds, and a sub-second time may reach it rounded up rather than cut (seen:
    // one second later), so the second it keeps is the media's or the next one.
    for (const f of files) {
      const onServer = path.join(share.serverDir, 'Win11', version, ...f.path.split('/'));
      expect(await hashFile(onServer), f.path).toBe(f.sha256);
      const kept = Math.floor((await stat(onServer)).mtimeMs / 1000) - Math.floor(f.mtimeMs / 1000);
      expect([0, 1], f.path).toContain(kept);
    }
    expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);

    const again = await publishTo(workspace, [target]);
    expect(again.map((r) => [r.action, r.filesCopied, r.filesLinked])).toEqual([['unchanged', 0, 0]]);

    await restamp(workspace, 'r2');
    const next = await publishTo(workspace, [target]);
    expect(next[0]).toMatchObject({ action: 'published', filesLinked: 0, filesCopied: files.length, verified: { ok: true } });
    expect((await readCurrent(target))!.previous).toBe(version);
    expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);
    await restamp(workspace, 'r1');
  });

  it('mirror: publishes, re-publishes nothing (whole-second mtimes), replaces a file changed on the share, and verify names tampering', async () => {
    const target = path.join(share.dir, 'Mirror');
    const first = await publishTo(workspace, [target], { layout: 'mirror' });
    expect(first[0]).toMatchObject({ action: 'published', verified: { ok: true } });
    // Recorded as the share keeps them: whole seconds.
    const published = (await readPublished(target))!;
    expect(published.files.every((f) => f.mtimeMs % 1000 === 0)).toBe(true);
    expect((await publishTo(workspace, [target], { layout: 'mirror' }))[0]).toMatchObject({ action: 'unchanged', filesCopied: 0 });

    // An older publish recorded the workspace's sub-second mtimes: within the granularity the
    // mtimes cannot tell, so the files are hashed, found right, and nothing is copied.
    const manifestFile = path.join(share.serverDir, 'Mirror', 'osmedia-published.json');
    await chmod(manifestFile, 0o644);
    await writeFile(manifestFile, JSON.stringify({ ...published, files: (await manifestOf()).files }, null, 2));
    expect((await publishTo(workspace, [target], { layout: 'mirror' }))[0]).toMatchObject({ action: 'unchanged', filesCopied: 0 });

    // Tampering on the server: same size; verify names it, a publish replaces it.
    const victim = published.files.find((f) => f.path.endsWith('.exe') || f.size > 0)!;
    const onServer = path.join(share.serverDir, 'Mirror', ...victim.path.split('/'));
    const original = await readFile(onServer);
    await chmod(onServer, 0o644);
    await writeFile(onServer, Buffer.alloc(original.length, 0x41));
    const tampered = await verifyTarget(target, undefined, new CollectingReporter());
    expect(tampered.changed).toEqual([victim.path]);
    const cli = await runCli(['verify', '--target', target]);
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toContain(victim.path);
    // Its mtime is now a later second: changed, re-copied.
    const fixed = await publishTo(workspace, [target], { layout: 'mirror' });
    expect(fixed[0]).toMatchObject({ action: 'published', filesCopied: 1, replace: [victim.path] });
    expect((await verifyTarget(target, undefined, new CollectingReporter())).ok).toBe(true);
  });

  it('refuses names the share cannot store before writing anything, listing every one', async () => {
    const manifestPath = path.join(workspace, 'osmedia-manifest.json');
    const saved = await readFile(manifestPath, 'utf8');
    const manifest = JSON.parse(saved);
    // Files a user's package could add (Linux stores these names; a Windows share does not).
    const small = [...manifest.files].sort((a: any, b: any) => a.size - b.size)[0];
    const bad = ['sources/what?.txt', 'sources/a:b.cab', 'sources/trailing.', 'sources/NUL.txt', 'SOURCES/extra.txt'];
    for (const p of bad) {
      const file = path.join(workspace, 'media', ...p.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await copyFile(path.join(workspace, 'media', ...small.path.split('/')), file);
      await utimes(file, small.mtimeMs / 1000, small.mtimeMs / 1000);
      const info = await stat(file);
      manifest.files.push({ ...small, path: p, mtimeMs: Math.trunc(info.mtimeMs) });
    }
    await writeFile(manifestPath, JSON.stringify(manifest));
    try {
      const target = path.join(share.dir, 'Names');
      const result = await runCli(['distribute', '--workspace', workspace, '--target', target]);
      expect(result.exitCode).not.toBe(0);
      for (const p of bad.slice(0, 4)) expect(result.stderr).toContain(p);
      expect(result.stderr).toMatch(/differs from sources only in letter case/);
      expect(await readdir(share.serverDir)).not.toContain('Names');
    } finally {
      await writeFile(manifestPath, saved);
      for (const p of bad) await rm(path.join(workspace, 'media', ...p.split('/')), { force: true });
      await rm(path.join(workspace, 'media', 'SOURCES'), { recursive: true, force: true });
    }
  });

  it('one publish at a time holds the share: a second one fails naming the holder and --wait', async () => {
    const { acquireLock } = await import('../../src/util/lock.ts');
    const target = path.join(share.dir, 'Locked');
    const release = await acquireLock(path.join(target, '.osmedia-lock'), {
      what: 'the target',
      command: 'osmedia distribute (other host)',
      reporter: new CollectingReporter(),
    });
    try {
      const result = await runCli(['distribute', '--workspace', workspace, '--target', target]);
      expect(result.exitCode).toBe(3); // locked by another run (the exit-code table)
      expect(result.stderr).toMatch(/in use by "osmedia distribute \(other host\)" \(pid \d+ on [^,]+, since \d{4}-/);
      expect(result.stderr).toMatch(/--wait/);
    } finally {
      await release();
    }
    expect((await publishTo(workspace, [target]))[0]!.action).toBe('published');
    // The lock is gone after the publish; a timestamp on the share does not need sub-seconds.
    expect(await readdir(path.join(share.serverDir, 'Locked'))).not.toContain('.osmedia-lock');
    await utimes(path.join(share.serverDir, 'Locked'), new Date(), new Date());
  });
});
