// The lock (src/util/lock.ts) under real races: real processes released onto one stale lock at
// the same instant, on a local folder (the workspace lock) and on an SMB share (a target lock).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/media/workspace.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { LockedError } from '../../src/util/errors.ts';
import { acquireLock } from '../../src/util/lock.ts';
import { node24, repoRoot, tempDir } from '../helpers.ts';
import { smbUnavailable, startShare, type SmbShare } from '../smb/share.ts';

interface Racer {
  child: ChildProcessWithoutNullStreams;
  next: () => Promise<string>;
}

function racer(lockPath: string, staleMs: number): Racer {
  const child = spawn(node24, [path.join(repoRoot, 'test', 'fixtures', 'lock-racer.ts'), lockPath, String(staleMs)], { stdio: 'pipe' });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => (waiting.length ? waiting.shift()!(line) : lines.push(line)));
  return { child, next: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

/** A lock file as a process killed with kill -9 leaves it: this host, a PID that is not running. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

async function race(lockPath: string, processes: number, rounds: number, staleLock: () => Promise<string>): Promise<number[]> {
  const racers = Array.from({ length: processes }, () => racer(lockPath, 600_000));
  try {
    for (const r of racers) expect(await r.next()).toBe('ready');
    const winners: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await writeFile(lockPath, await staleLock());
      for (const r of racers) r.child.stdin.write('go\n'); // all at once
      const answers = await Promise.all(racers.map((r) => r.next()));
      const won = answers.flatMap((a, i) => (a === 'won' ? [i] : []));
      winners.push(won.length);
      for (const [i, a] of answers.entries())
        if (a !== 'won') expect(a, `round ${round}, racer ${i}`).toMatch(/^lost: The race is in use by "racer \d+" \(pid \d+ on .+, since .+\)/);
      for (const i of won) {
        racers[i]!.child.stdin.write('release\n');
        expect(await racers[i]!.next()).toBe('released');
      }
    }
    return winners;
  } finally {
    for (const r of racers) r.child.kill();
  }
}

describe('lock take-over is atomic', () => {
  it('exactly one of 6 processes wins a stale workspace lock, in every one of 15 rounds', async () => {
    const workspace = new Workspace(await tempDir());
    await workspace.ensureWritable();
    const pid = await deadPid();
    const winners = await race(path.join(workspace.stateDir, 'lock'), 6, 15, async () =>
      JSON.stringify({ host: hostname(), pid, startedAt: 'then', command: 'killed run', token: `t${Math.random()}`.replace('.', '') }),
    );
    expect(winners).toEqual(Array(15).fill(1));
  });

  it('a lock from another host whose heartbeat stopped is stale; a fresh one is not, and the message names --wait and the holder', async () => {
    const dir = await tempDir();
    const lockPath = path.join(dir, '.osmedia-lock');
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    await writeFile(
      lockPath,
      JSON.stringify({ host: 'other-runner', pid: 4242, startedAt: old, beatAt: old, beat: 7, command: 'osmedia distribute', token: 'abc' }),
    );
    const reporter = new CollectingReporter();
    const release = await acquireLock(lockPath, { what: 'the target T', command: 'me', reporter });
    expect(reporter.messages('warning')[0]).toMatch(/removing a stale lock on the target T left by pid 4242 on other-runner \(no heartbeat for 600 s\)/);
    await release();
    const now = new Date().toISOString();
    await writeFile(
      lockPath,
      JSON.stringify({ host: 'other-runner', pid: 4242, startedAt: now, beatAt: now, beat: 1, command: 'osmedia distribute', token: 'def' }),
    );
    const error = await acquireLock(lockPath, { what: 'the target T', command: 'me', reporter }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError); // exit 3 in the exit-code table
    expect((error as LockedError).message).toBe(`The target T is in use by "osmedia distribute" (pid 4242 on other-runner, since ${now})`);
    expect((error as LockedError).fix).toMatch(/--wait SECONDS/);
  });

  it('the holder beats: its heartbeat moves while it holds, so a waiter never judges it stale', async () => {
    const lockPath = path.join(await tempDir(), 'lock');
    const release = await acquireLock(lockPath, { what: 'x', command: 'holder', reporter: new CollectingReporter(), staleMs: 400, heartbeatMs: 20 });
    const first = JSON.parse(await readFile(lockPath, 'utf8')).beat;
    // Waits on the heartbeat itself (the file changing), not on a clock.
    let beat = first;
    while (beat === first) beat = JSON.parse(await readFile(lockPath, 'utf8')).beat;
    expect(beat).toBeGreaterThan(first);
    await release();
  });
});

const skip = smbUnavailable();
describe.skipIf(skip)('lock take-over on an SMB share', () => {
  let share: SmbShare | undefined;
  afterAll(async () => {
    await share?.stop();
  });
  it('exactly one of 4 processes wins a stale target lock on the share, in every one of 8 rounds', async () => {
    share = await startShare();
    const target = path.join(share.dir, 'Win11');
    await mkdir(target);
    const pid = await deadPid();
    const winners = await race(path.join(target, '.osmedia-lock'), 4, 8, async () =>
      JSON.stringify({ host: hostname(), pid, startedAt: 'then', command: 'killed run', token: `t${Math.random()}`.replace('.', '') }),
    );
    expect(winners).toEqual(Array(8).fill(1));
  });
});
