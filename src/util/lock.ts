// A lock file for one command at a time on a workspace or a publish target (a local folder or an
// SMB share). It needs no hard links: it is created with O_EXCL, which SMB maps to its own
// exclusive create (FILE_CREATE), so it excludes across hosts. It holds the host, process (with
// the process's start time, so a reused PID is not mistaken for the holder), a random token and a
// heartbeat the holder rewrites in place every heartbeatMs.
//
// A lock is stale when its holder is gone (same host: the PID is not running, or runs another
// program), or when its heartbeat has not moved for staleMs (any host: its time, or what this
// process saw). Taking over a stale lock is atomic: the taker must first create the claim file
// `<lock>.<token>` with O_EXCL, so for one stale lock exactly one process wins the claim. Only the
// claim's winner removes the stale lock, after re-reading that it is still the very file it judged
// stale; then everyone races on the O_EXCL create again, which one wins. A claim left by a process
// killed while taking over is itself a lock file, judged and taken over the same way.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError } from './errors.ts';
import type { Reporter } from './events.ts';

export interface LockInfo {
  host: string;
  pid: number;
  /** The holder's process start time (Linux: clock ticks since boot, /proc/PID/stat field 22). */
  pidStart?: string;
  startedAt: string;
  command: string;
  token?: string;
  /** Heartbeat: a counter and the holder's clock, rewritten every heartbeatMs. */
  beat?: number;
  beatAt?: string;
}

/** Long enough for clock skew between domain members (Kerberos allows 5 minutes). */
export const DEFAULT_STALE_MS = 10 * 60_000;
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** The lock file is written at a fixed size in place (no truncate, which some SMB clients refuse). */
const RECORD_BYTES = 1024;

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in a lock is a running process here (false only when sure it is not). */
function holderAlive(holder: LockInfo): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = holder.pidStart && processStart(holder.pid);
  return !start || start === holder.pidStart;
}

function parse(raw: string): LockInfo | undefined {
  try {
    const info = JSON.parse(raw) as LockInfo;
    return typeof info?.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined; // being written, or written by a process killed mid-write
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
  /** A heartbeat older than this (or unchanged this long) makes a lock stale, from any host. */
  staleMs?: number;
  heartbeatMs?: number;
}

interface Seen {
  raw: string;
  since: number;
}

/** Why the lock file's current holder no longer counts, or undefined while it does. */
function staleReason(holder: LockInfo | undefined, seen: Seen, staleMs: number, now: number): string | undefined {
  if (holder && holder.host === hostname()) return holderAlive(holder) ? undefined : `left by pid ${holder.pid} (no longer running)`;
  const beat = holder ? Date.parse(holder.beatAt ?? holder.startedAt) : NaN;
  if (now - seen.since >= staleMs || (Number.isFinite(beat) && now - beat >= staleMs))
    return `left by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'an unreadable holder'} (no heartbeat for ${Math.round(staleMs / 1000)} s)`;
  return undefined;
}

async function tryCreate(file: string, record: () => string, again = true): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return undefined;
    // The lock's folder went away while we waited (a mirror's side folder is removed when its publish ends): make it again.
    if (code !== 'ENOENT' || !again) throw error;
    await mkdir(path.dirname(file), { recursive: true });
    return tryCreate(file, record, false);
  }
  await handle.write(record().padEnd(RECORD_BYTES, ' '), 0);
  return handle;
}

/**
 * Removes a lock or claim file. On an SMB share a file another process has open for reading cannot
 * be deleted at that moment (EBUSY, a sharing violation): try again once it has read it.
 */
async function removeFile(file: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 200) throw error;
      await sleep(5);
    }
  }
}

const readRaw = (file: string) =>
  readFile(file, 'utf8').catch((e: unknown) => ((e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : Promise.reject(e as Error)));

/**
 * Removes `file`, judged stale with content `raw`, unless another process is doing so: exactly one
 * of any number of callers for the same file wins the claim. Returns whether the caller should
 * retry at once (the file is gone or changed) or keep waiting (another process is taking over).
 */
async function takeOver(file: string, raw: string, me: LockInfo, staleMs: number, seen: Map<string, Seen>, depth = 0): Promise<boolean> {
  const token = parse(raw)?.token ?? `x${Buffer.from(raw).toString('hex').slice(0, 16) || 'empty'}`;
  const claim = `${file}.${token.replace(/[^0-9a-zA-Z]/g, '')}`;
  const handle = await tryCreate(claim, () => JSON.stringify({ ...me, command: `taking over ${path.basename(file)}` }));
  if (!handle) {
    // Someone holds the claim: wait for them, unless they died holding it (then take the claim over).
    const claimRaw = await readRaw(claim);
    if (claimRaw === undefined || depth > 3) return true;
    const at = seen.get(claim)?.raw === claimRaw ? seen.get(claim)! : { raw: claimRaw, since: Date.now() };
    seen.set(claim, at);
    if (staleReason(parse(claimRaw), at, staleMs, Date.now())) return takeOver(claim, claimRaw, me, staleMs, seen, depth + 1);
    return false;
  }
  try {
    if ((await readRaw(file)) === raw) await removeFile(file);
  } finally {
    await handle.close();
    await removeFile(claim);
  }
  return true;
}

/** Takes the lock at lockPath; returns the function that releases it. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeatMs = options.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, staleMs / 4);
  const me: LockInfo = {
    host: hostname(),
    pid: process.pid,
    pidStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    command: options.command,
    token: randomBytes(8).toString('hex'),
    beat: 0,
    beatAt: new Date().toISOString(),
  };
  const deadline = Date.now() + (options.waitMs ?? 0);
  const seen = new Map<string, Seen>();
  let announced = false;
  await mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    const handle = await tryCreate(lockPath, () => JSON.stringify(me));
    if (handle) return holding(lockPath, handle, me, heartbeatMs, options);
    const raw = await readRaw(lockPath);
    if (raw === undefined) continue; // released meanwhile
    const holder = parse(raw);
    const at = seen.get(lockPath)?.raw === raw ? seen.get(lockPath)! : { raw, since: Date.now() };
    seen.set(lockPath, at);
    const stale = staleReason(holder, at, staleMs, Date.now());
    if (stale) {
      if (await takeOver(lockPath, raw, me, staleMs, seen)) {
        options.reporter.emit({ type: 'warning', message: `removing a stale lock on ${options.what} ${stale}` });
      } else {
        await sleep(10); // another process is taking it over right now: see who wins
      }
      continue;
    }
    if (!holder && Date.now() - at.since < 2000) {
      await sleep(10); // being written: read it again
      continue;
    }
    const who = holder
      ? `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`
      : `a process that left an unreadable lock file (${lockPath})`;
    if (Date.now() < deadline) {
      if (!announced) options.reporter.emit({ type: 'info', message: `waiting for ${options.what}: held by ${who}` });
      announced = true;
      await sleep(options.pollMs ?? 1000);
      continue;
    }
    throw new LockedError(`${options.what[0]!.toUpperCase()}${options.what.slice(1)} is in use by ${who}`, {
      fix: `Wait for that run to finish, or pass --wait SECONDS to wait for it. If it is gone (for example its machine restarted), the lock counts as stale once its heartbeat is ${Math.round(staleMs / 60000)} minutes old; or delete ${lockPath}.`,
    });
  }
}

/** Keeps the heartbeat going while held; the returned function releases the lock. */
function holding(lockPath: string, handle: FileHandle, me: LockInfo, heartbeatMs: number, options: LockOptions): () => Promise<void> {
  let writing = Promise.resolve();
  const timer = setInterval(() => {
    writing = writing.then(async () => {
      me.beat = (me.beat ?? 0) + 1;
      me.beatAt = new Date().toISOString();
      // Through the handle the lock was created with: a lock taken over meanwhile is another file.
      await handle.write(JSON.stringify(me).padEnd(RECORD_BYTES, ' '), 0).catch(() => {});
      const now = parse((await readRaw(lockPath).catch(() => undefined)) ?? '');
      if (now?.token !== me.token)
        options.reporter.emit({ type: 'warning', message: `the lock on ${options.what} was taken over by another process (its heartbeat stalled)` });
    });
  }, heartbeatMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await writing;
    await handle.close();
    if (parse((await readRaw(lockPath).catch(() => undefined)) ?? '')?.token === me.token) await removeFile(lockPath);
  };
}
