// A lock file for one command at a time on a workspace or a publish target. It holds the host,
// process, start time and command, so whoever finds it knows who holds it. A lock left by a
// process that is gone (same host, pid not running) is stale and is taken over with a warning.
import { hostname } from 'node:os';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError } from './errors.ts';
import type { Reporter } from './events.ts';

export interface LockInfo {
  host: string;
  pid: number;
  startedAt: string;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as LockInfo;
  } catch {
    return undefined; // gone, or written by a process killed mid-write (stale)
  }
}

export interface LockOptions {
  /** What is locked, for messages: "the workspace /w", "the target //cm01/sources$/os". */
  what: string;
  command: string;
  reporter: Reporter;
  /** How long to wait for a live holder before giving up; 0 fails at once. */
  waitMs?: number;
  pollMs?: number;
}

/** Takes the lock at lockPath; returns the function that releases it. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const info: LockInfo = { host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), command: options.command };
  const deadline = Date.now() + (options.waitMs ?? 0);
  let announced = false;
  await mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      return async () => {
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(lockPath);
    if (holder && (holder.host !== info.host || isAlive(holder.pid))) {
      if (Date.now() < deadline) {
        if (!announced)
          options.reporter.emit({ type: 'info', message: `waiting for ${options.what}: held by "${holder.command}" (pid ${holder.pid} on ${holder.host})` });
        announced = true;
        await sleep(options.pollMs ?? 1000);
        continue;
      }
      throw new LockedError(
        `${options.what[0]!.toUpperCase()}${options.what.slice(1)} is in use by "${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
        {
          fix: `Wait for that run to finish (or pass --wait SECONDS). If it is gone (for example its machine restarted), delete ${lockPath}.`,
        },
      );
    }
    options.reporter.emit({ type: 'warning', message: `removing a stale lock on ${options.what} left by pid ${holder?.pid ?? '?'} (no longer running)` });
    await rm(lockPath, { force: true });
  }
}
