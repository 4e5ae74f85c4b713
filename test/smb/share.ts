// A real SMB share for tests: Samba's smbd serving a guest share, mounted with smbnetfs (a FUSE
// client, no kernel module), both started here and stopped by their PIDs.
//
// Several runs may share this machine (other test runs, CI): each share gets its own loopback
// address 127.x.y.z (from this process's PID), inside its own network namespace (`unshare -n`),
// with its own config, state, lock and PID folders in a temp folder, so runs never collide and no
// port is ever opened on a real network interface. smbd needs the address on an interface (it binds
// only to addresses it finds there), so the namespace's lo gets it; that is loopback only.
//
// The client's traits are left as they are (osmedia must cope with them); see docs/distribute.md:
// statfs 0/0, link() EPERM, whole-second mtimes, ftruncate EIO, refused characters, '?' dropped,
// case-insensitive overwrite. Its negative cache fails everything for 3 s after any failed call
// unless neg_cache_timeout is small (1 ms here; `neg_cache "false"` deadlocks it at start-up).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SmbShare {
  /** The share as the client mounts it: write here to write over SMB. */
  dir: string;
  /** The same folder on the server's own disk (to look behind the client's back). */
  serverDir: string;
  address: string;
  stop(): Promise<void>;
}

/** Why a real share cannot be started here, or undefined when it can. */
export function smbUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'SMB share tests need Linux';
  if (process.getuid?.() !== 0) return 'SMB share tests run as root (smbd on port 445, a network namespace)';
  for (const tool of ['smbd', 'smbnetfs', 'unshare', 'ip'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing: run scripts/ensure-deps.sh`;
  if (!existsSync('/dev/fuse')) return '/dev/fuse is missing';
  return undefined;
}

let counter = 0;
function uniqueAddress(): string {
  const n = (process.pid * 8 + counter++) % (250 * 250 * 250);
  return `127.${(Math.floor(n / 62500) % 250) + 1}.${(Math.floor(n / 250) % 250) + 1}.${(n % 250) + 2}`;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, log: () => Promise<string>): Promise<T> {
  // Polls a condition (not a timed assertion): the deadline only turns a hang into a clear failure.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`the test SMB share did not come up (${what}):\n${await log()}`);
    await sleep(50);
  }
}

/** Starts a share in a temp folder of its own (no test framework needed: the benchmark uses it too). */
export async function startShare(): Promise<SmbShare> {
  const root = await mkdtemp(path.join(tmpdir(), 'osmedia-smb-'));
  const address = uniqueAddress();
  const dirs = ['pid', 'lock', 'state', 'cache', 'private', 'ncalrpc', 'log', 'share', 'mnt', 'home/.smb', 'client'];
  for (const d of dirs) await mkdir(path.join(root, d), { recursive: true });
  const serverDir = path.join(root, 'share');
  const conf = path.join(root, 'smb.conf');
  await writeFile(
    conf,
    `[global]
  server role = standalone server
  interfaces = ${address}/32
  bind interfaces only = yes
  smb ports = 445
  disable netbios = yes
  server min protocol = SMB2
  pid directory = ${root}/pid
  lock directory = ${root}/lock
  state directory = ${root}/state
  cache directory = ${root}/cache
  private dir = ${root}/private
  ncalrpc dir = ${root}/ncalrpc
  log file = ${root}/log/smbd.log
  map to guest = Bad User
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = ${serverDir}
  guest ok = yes
  read only = no
  force user = root
`,
  );
  const home = path.join(root, 'home');
  await writeFile(
    path.join(home, '.smb', 'smb.conf'),
    `[global]\n  client min protocol = SMB2\n  lock directory = ${root}/client\n  state directory = ${root}/client\n  cache directory = ${root}/client\n  private dir = ${root}/client\n`,
  );
  const clientConf = path.join(home, '.smb', 'smbnetfs.conf');
  await writeFile(clientConf, 'neg_cache_timeout 1\nsmb_query_browsers false\nshow_hidden_hosts true\n');
  await chmod(clientConf, 0o600);
  const mnt = path.join(root, 'mnt');
  const script = path.join(root, 'run.sh');
  await writeFile(
    script,
    `set -e
ip link set lo up
ip addr add ${address}/32 dev lo
smbd --foreground --no-process-group -s ${conf} --debug-stdout > ${root}/log/smbd.out 2>&1 &
echo $! > ${root}/smbd.pid
HOME=${home} smbnetfs ${mnt} -f -o config=${clientConf} > ${root}/log/smbnetfs.out 2>&1 &
echo $! > ${root}/smbnetfs.pid
wait
`,
  );
  const runner = spawn('setsid', ['unshare', '-n', 'sh', script], { stdio: 'ignore', detached: true });
  runner.unref();
  const log = async () =>
    (await Promise.all(['smbd.out', 'smbnetfs.out'].map((f) => readFile(path.join(root, 'log', f), 'utf8').catch(() => '')))).join('\n').slice(-3000);
  const pid = (name: string) => waitFor(`${name} started`, async () => Number(await readFile(path.join(root, name), 'utf8')) || undefined, log);
  const smbdPid = await pid('smbd.pid');
  const clientPid = await pid('smbnetfs.pid');
  const dir = path.join(mnt, address, 'share');
  await waitFor('the share is listed by the client', async () => ((await readdir(dir)) ? true : undefined), log);
  return {
    dir,
    serverDir,
    address,
    async stop() {
      // The client first (it unmounts itself on SIGTERM), then the server, then the runner shell.
      for (const p of [clientPid, smbdPid, runner.pid!]) {
        if (alive(p)) process.kill(p, 'SIGTERM');
        await waitFor(`pid ${p} stopped`, async () => (alive(p) ? undefined : true), log).catch(() => process.kill(p, 'SIGKILL'));
      }
      if (spawnSync('mountpoint', ['-q', mnt]).status === 0) spawnSync('umount', ['-l', mnt]);
      if (spawnSync('mountpoint', ['-q', mnt]).status !== 0) await rm(root, { recursive: true, force: true });
    },
  };
}
