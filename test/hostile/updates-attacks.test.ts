// Attacks by someone who can write to the updates share or the workspace (issue 16, items 1, 5, 8,
// 9, 10), performed for real through the CLI: a file swapped on the share while osmedia runs,
// crafted Setup DUs with hostile entry names and links, a link planted in the workspace media, an
// MSU whose inner file is named like a 7-Zip switch, and a SHA256SUMS that pins a file twice.
import { chmod, lstat, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sevenZipPath } from '../../src/imaging/sevenzip.ts';
import { buildSampleUpdates, packageCab, type SampleUpdates } from '../../src/sample/sample-updates.ts';
import { readPeVersion } from '../../src/updates/pe-version.ts';
import { exists, hashFile } from '../../src/util/fs.ts';
import { readJson, runCli, sampleMedia, snapshot, tempDir } from '../helpers.ts';
import { rawCab, rawTar } from './raw-cab.ts';

const SETUP_DU = 'windows11.0-kb5046619-x64_setup.cab';
let genuine: SampleUpdates;
let evil: SampleUpdates;
let ws: string;

beforeAll(async () => {
  const dir = await tempDir();
  genuine = await buildSampleUpdates({ dir: path.join(dir, 'genuine'), only: ['setupDu'] });
  // The attacker's file: the same name, other content (another "revision" in every payload).
  evil = await buildSampleUpdates({ dir: path.join(dir, 'evil'), only: ['setupDu'], lcuRevision: 6666 });
  ws = await workspace();
});

async function workspace(): Promise<string> {
  const sample = await sampleMedia();
  const dir = path.join(await tempDir(), 'ws');
  expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', dir])).exitCode).toBe(0);
  expect((await runCli(['strip-indexes', '--workspace', dir, '--keep', 'Enterprise'])).exitCode).toBe(0);
  return dir;
}

/** The media and what the manifest says about it (its history records each failed attempt, as it should). */
const state = async (dir: string) => {
  const { history: _history, ...manifest } = await readJson(path.join(dir, 'osmedia-manifest.json'));
  return { media: await snapshot(path.join(dir, 'media')), manifest };
};

/** Every path below root, links included (not followed): what a strange folder would show up in. */
async function allPaths(root: string): Promise<string[]> {
  // .osmedia/scratch is the servicing runs' own working folder (created by the first run that gets that far).
  return (await readdir(root, { recursive: true }))
    .map((p) => p.split(path.sep).join('/'))
    .filter((p) => !p.startsWith('.osmedia/scratch'))
    .sort();
}

/** An updates folder holding one crafted "Setup DU" (the Setup files that make it one, plus the attack). */
async function craftedUpdates(bytes: Buffer): Promise<string> {
  const dir = await tempDir();
  await writeFile(path.join(dir, SETUP_DU), bytes);
  return dir;
}

const setupFiles = [
  { name: 'setuphost.exe', data: 'placeholder setup host' },
  { name: 'appraiserres.dll', data: 'placeholder appraiser' },
];

describe('a pinned update swapped on the share while osmedia runs (16.1)', () => {
  it('is serviced from the copy osmedia pinned; the swap changes nothing and the manifest records the bytes used', async () => {
    const target = await workspace();
    const share = await tempDir();
    const onShare = path.join(share, SETUP_DU);
    await writeFile(onShare, await readFile(genuine.files.setupDu));
    const pinned = await hashFile(onShare);
    await writeFile(path.join(share, 'SHA256SUMS'), `${pinned}  ${SETUP_DU}\n`);
    // The attacker's moment: after osmedia has hashed the file and before 7-Zip reads it. A stand-in
    // 7-Zip swaps the share's file the first time it is called, then runs the real 7-Zip.
    const wrapper = path.join(await tempDir(), '7zz-swapping');
    const mark = `${wrapper}.swapped`;
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ ! -e '${mark}' ]; then cp '${evil.files.setupDu}' '${onShare}' && touch '${mark}'; fi\nexec '${sevenZipPath()}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const result = await runCli(['apply-updates', '--workspace', target, '--updates', share, '--json'], { env: { OSMEDIA_7ZIP: wrapper } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await exists(mark)).toBe(true); // the swap really happened during the run
    expect(await hashFile(onShare)).toBe(await hashFile(evil.files.setupDu));
    // The media holds the pinned Setup DU's files, never the attacker's.
    // (the sample Setup DUs' binaries carry real PE version resources: 10.0.26100.2314 genuine, .6666 the attacker's)
    const appraiser = readPeVersion(await readFile(path.join(target, 'media', 'sources', 'appraiserres.dll')));
    expect(appraiser.version).toBe('10.0.26100.2314');
    const manifest = await readJson(path.join(target, 'osmedia-manifest.json'));
    expect(manifest.updates).toMatchObject([{ kind: 'setup', file: SETUP_DU, sha256: pinned }]);
    // The run's copies are gone once the step is done.
    expect(await allPaths(path.join(target, '.osmedia', 'tmp')).catch(() => [])).toEqual([]);
  });
});

describe('a Setup DU with hostile entry names (16.10) or links is refused, naming the entry; nothing is written', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['"../.."', rawCab([...setupFiles, { name: '..\\..\\escape1.txt', data: 'e' }]), /"\.\.\/\.\.\/escape1\.txt": a "\.\." component/],
    ['"sub/../.."', rawCab([...setupFiles, { name: 'sub\\..\\..\\escape2.txt', data: 'e' }]), /"sub\/\.\.\/\.\.\/escape2\.txt": a "\.\." component/],
    ['an absolute path', rawCab([...setupFiles, { name: '/tmp/osmedia-abs-escape.txt', data: 'e' }]), /"\/tmp\/osmedia-abs-escape\.txt": an absolute path/],
    ['a drive letter', rawCab([...setupFiles, { name: 'C:\\Windows\\drive.txt', data: 'e' }]), /"C:\/Windows\/drive\.txt": a drive letter/],
    ['a backslash inside a name (tar)', rawTar([...setupFiles, { name: 'sub\\evil.dll', data: 'e' }]), /"sub\\evil\.dll": a backslash inside a name/],
    [
      'a symlink (tar as CAB)',
      rawTar([...setupFiles, { name: 'replacementmanifests', data: '', symlink: '/etc' }]),
      /"replacementmanifests": a link \(to \/etc\)/,
    ],
  ];
  for (const [label, bytes, message] of cases) {
    it(label, async () => {
      const before = await state(ws);
      const paths = await allPaths(ws);
      const updates = await craftedUpdates(bytes);
      const result = await runCli(['apply-updates', '--workspace', ws, '--updates', updates]);
      expect(result.exitCode, result.stdout).toBe(1);
      expect(result.stderr).toMatch(message);
      // Refused when the package is read (the plan), before anything of it is written.
      expect(result.stderr).toContain(`${SETUP_DU}: cannot be opened as a package (${SETUP_DU} holds 1 entry that cannot be written safely`);

      expect(await state(ws)).toEqual(before);
      // No strange folder ("C:", "tmp", "sub") appeared, inside the workspace or beside it.
      expect(await allPaths(ws)).toEqual(paths);
      expect(await exists('/tmp/osmedia-abs-escape.txt')).toBe(false);
      expect((await readdir(path.dirname(ws))).sort()).toEqual(['ws']);
    });
  }
});

describe('a link planted in the workspace media (16.5)', () => {
  it('refuses the write, naming the link; nothing outside the workspace changes', async () => {
    const before = await state(ws);
    const outside = await tempDir();
    const link = path.join(ws, 'media', 'sources', 'replacementmanifests');
    await symlink(outside, link);
    try {
      const result = await runCli(['apply-updates', '--workspace', ws, '--updates', genuine.dir]);
      expect(result.exitCode, result.stdout).toBe(1);
      expect(result.stderr).toContain(
        'error: Refusing to write media/sources/replacementmanifests/microsoft-windows-sample-replacement.man: media/sources/replacementmanifests in the workspace is a link, and osmedia never writes through one',
      );
      expect(await readdir(outside)).toEqual([]);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
    } finally {
      await rm(link);
    }
    expect(await state(ws)).toEqual(before);
  });
});

describe('the workspace state folder planted as a link (16.5)', () => {
  it('import-media refuses it, naming it, and writes nothing where it points', async () => {
    const sample = await sampleMedia();
    const outside = await tempDir();
    const target = path.join(await tempDir(), 'ws');
    await mkdir(target);
    await symlink(outside, path.join(target, '.osmedia'));
    const result = await runCli(['import-media', '--source', sample.isoPath!, '--workspace', target]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error: Refusing to write \.osmedia\/\S+: \.osmedia in the workspace is a link, and osmedia never writes through one/);
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(target)).sort()).toEqual(['.osmedia']);
  });
});

describe('an MSU whose inner file is named like a 7-Zip switch (16.9)', () => {
  it('"-oINJECTED.cab" is read as a file name: the package is classified and nothing is written elsewhere', async () => {
    const work = await tempDir();
    const inner = await packageCab(work, path.join(work, 'inner.cab'), { name: 'Package_for_RollupFix', version: '26100.2314.1.7', kb: 'KB5046617' });
    const updates = await tempDir();
    await writeFile(
      path.join(updates, 'windows11.0-kb5046617-x64.msu'),
      rawCab([
        { name: '-oINJECTED.cab', data: await readFile(inner) },
        { name: 'WSUSSCAN.cab', data: 'scan data' },
      ]),
    );
    const cwd = await tempDir();
    const result = await runCli(['apply-updates', '--workspace', ws, '--updates', updates, '--dry-run', '--json'], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readdir(cwd)).toEqual([]); // 7-Zip did not take the name as "-o INJECTED.cab"
    const plan = result.json();
    expect(plan.rejections).toEqual([]);
    expect(plan.packages).toMatchObject([{ kind: 'lcu', kb: 'KB5046617', fileName: 'windows11.0-kb5046617-x64.msu' }]);
  });
});

describe('SHA256SUMS pinning one file twice with different hashes (16.8)', () => {
  for (const order of ['genuine first', 'genuine last']) {
    it(`fails naming the file (${order})`, async () => {
      const updates = await tempDir();
      await writeFile(path.join(updates, SETUP_DU), await readFile(genuine.files.setupDu));
      const lines = [`${await hashFile(genuine.files.setupDu)}  ${SETUP_DU}`, `${await hashFile(evil.files.setupDu)} *${SETUP_DU}`];
      if (order === 'genuine last') lines.reverse();
      await writeFile(path.join(updates, 'SHA256SUMS'), `${lines.join('\n')}\n`);
      const before = await state(ws);
      const result = await runCli(['apply-updates', '--workspace', ws, '--updates', updates]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`SHA256SUMS pins ${SETUP_DU} twice with different SHA-256 values`);
      expect(await state(ws)).toEqual(before);
    });
  }
});
