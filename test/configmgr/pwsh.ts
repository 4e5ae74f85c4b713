// Real PowerShell for the tests: PowerShell 7.6 (scripts/ensure-deps.sh installs it into
// .tools/pwsh; OSMEDIA_PWSH_TEST or `pwsh` on PATH also do), the stand-in ConfigurationManager
// module (scripts/site-stub, generated from Microsoft Learn's signatures in cmdlets.json) and a site
// state file that plays the site. Every generated script runs for real against it.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { initialSiteState } from '../../scripts/site-stub/site-state.ts';
import { repoRoot, tempDir } from '../helpers.ts';

/** The pwsh the tests use, or undefined when none is installed. */
export function findPwsh(): string | undefined {
  if (process.env.OSMEDIA_PWSH_TEST) return process.env.OSMEDIA_PWSH_TEST;
  const local = path.join(repoRoot, '.tools', 'pwsh', process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'pwsh'))) return path.join(dir, 'pwsh');
  }
  return undefined;
}

export const STUB_DIR = path.join(repoRoot, 'scripts', 'site-stub');

export interface StubCall {
  cmdlet: string;
  set: string;
  change: boolean;
  parameters: Record<string, unknown>;
}
export interface StubPackage {
  Kind: string;
  PackageID: string;
  Name: string;
  PkgSourcePath: string;
  Version: string | null;
  Description: string | null;
  BinaryDelta: boolean;
  Multicast: string;
  SourceVersion: number;
}
export interface StubState {
  siteCode: string;
  packages: StubPackage[];
  taskSequences: { PackageID: string; Name: string; Description: string; Sequence: string; UpgradePackageID: string | null; EditionIndex: number | null }[];
  calls: StubCall[];
  fail: string | null;
  [key: string]: unknown;
}

export { nal } from '../../scripts/site-stub/site-state.ts';

/** A site state file with the given groups and points; env points the scripts at the stand-in. */
export async function stubSite(over: Partial<StubState> = {}) {
  const dir = await tempDir('osmedia-site-');
  const file = path.join(dir, 'site.json');
  const initial = { ...initialSiteState(), ...over };
  await writeFile(file, JSON.stringify(initial, null, 2));
  const read = async () => JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as StubState;
  return {
    dir,
    file,
    // The stand-in CimCmdlets (modules/OsmediaStubCim) are found by autoloading from PSModulePath.
    env: {
      SMS_ADMIN_UI_PATH: path.join(STUB_DIR, 'bin'),
      OSMEDIA_STUB_SITE: file,
      PSModulePath: [path.join(STUB_DIR, 'modules'), process.env.PSModulePath].filter(Boolean).join(path.delimiter),
    },
    read,
    update: async (change: (state: StubState) => void) => {
      const state = await read();
      change(state);
      await writeFile(file, JSON.stringify(state, null, 2));
    },
    /** The calls that changed something (New-/Set-/Update-/Start-CM…, task sequence methods). */
    changes: async () => (await read()).calls.filter((c) => c.change),
  };
}

/** Runs a script file under pwsh the way osmedia runs site scripts (-File, -NonInteractive). */
export async function runPwshFile(pwsh: string, script: string, args: string[], env: Record<string, string>, cwd?: string) {
  return execa(pwsh, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', script, ...args], { env, cwd, reject: false });
}

/** The 5.1 check (scripts/ps51-check.ps1): the problems PowerShell's own parser finds in the files. */
export async function ps51Problems(pwsh: string, files: string[]): Promise<{ file: string; line: number; problem: string }[]> {
  const result = await execa(pwsh, ['-NoProfile', '-NonInteractive', '-File', path.join(repoRoot, 'scripts', 'ps51-check.ps1'), ...files], { reject: false });
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`ps51-check failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as { file: string; line: number; problem: string }[];
}
