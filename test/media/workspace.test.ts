import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../src/media/workspace.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { LockedError } from '../../src/util/errors.ts';
import { exists } from '../../src/util/fs.ts';
import { tempDir } from '../helpers.ts';

describe('workspace lock', () => {
  it('refuses a second holder while the first is alive, naming it', async () => {
    const workspace = new Workspace(await tempDir());
    await workspace.ensureWritable();
    const release = await workspace.lock('osmedia strip-indexes', new CollectingReporter());
    const error = await workspace.lock('osmedia stamp-build-file', new CollectingReporter()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toMatch(new RegExp(`^The workspace .* is in use by "osmedia strip-indexes" \\(pid ${process.pid} on ${hostname()}`));
    await release();
    const again = await workspace.lock('osmedia stamp-build-file', new CollectingReporter());
    await again();
  });

  it('takes over a lock whose process is gone, with a warning', async () => {
    const workspace = new Workspace(await tempDir());
    await workspace.ensureWritable();
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await writeFile(path.join(workspace.stateDir, 'lock'), JSON.stringify({ host: hostname(), pid: deadPid, startedAt: 'then', command: 'killed run' }));
    const reporter = new CollectingReporter();
    const release = await workspace.lock('osmedia run', reporter);
    expect(reporter.messages('warning')).toEqual([`removing a stale lock on the workspace ${workspace.root} left by pid ${deadPid} (no longer running)`]);
    expect(JSON.parse(await readFile(path.join(workspace.stateDir, 'lock'), 'utf8')).pid).toBe(process.pid);
    await release();
  });

  it('does not take over a lock held on another host', async () => {
    const workspace = new Workspace(await tempDir());
    await workspace.ensureWritable();
    await writeFile(path.join(workspace.stateDir, 'lock'), JSON.stringify({ host: 'other-runner', pid: 1, startedAt: 'then', command: 'osmedia run' }));
    await expect(workspace.lock('osmedia run', new CollectingReporter())).rejects.toThrow(/pid 1 on other-runner/);
  });
});

describe('workspace journal', () => {
  it('rolls a verified change forward after a crash, and clears leftovers without a journal', async () => {
    const workspace = new Workspace(await tempDir());
    await workspace.ensureWritable();
    await mkdir(workspace.mediaDir, { recursive: true });
    const temp = await workspace.tempPath('file.txt');
    await writeFile(temp, 'new');
    const manifest = { marker: 'next' } as never;
    // A journal on disk, as a killed commit leaves it.
    await writeFile(
      path.join(workspace.stateDir, 'journal.json'),
      JSON.stringify({ renames: [{ from: temp, to: path.join(workspace.mediaDir, 'file.txt') }], deletes: [], manifest }),
    );
    await workspace.recover(new CollectingReporter());
    expect(await readFile(path.join(workspace.mediaDir, 'file.txt'), 'utf8')).toBe('new');
    expect(JSON.parse(await readFile(workspace.manifestPath, 'utf8'))).toEqual({ marker: 'next' });
    expect(await exists(path.join(workspace.stateDir, 'journal.json'))).toBe(false);

    const stray = await workspace.tempPath('half-written.wim');
    await writeFile(stray, 'partial');
    const reporter = new CollectingReporter();
    await workspace.recover(reporter);
    expect(await exists(stray)).toBe(false);
    expect(reporter.messages('info')[0]).toMatch(/removing 1 leftover item/);
  });
});
