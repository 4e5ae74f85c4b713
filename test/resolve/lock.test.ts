// The lock file's format on its own: deterministic text, the servicing order of roles, and clear
// errors for a lock that was edited by hand.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPathOf, readLock, renderLock, type Lock, type LockedFile } from '../../src/resolve/lock.ts';
import { previousMonth } from '../../src/resolve/select.ts';
import { tempDir } from '../helpers.ts';

const file = (over: Partial<LockedFile>): LockedFile => ({
  kb: 'KB5046617',
  role: 'lcu',
  build: '26100.2314',
  fileName: 'windows11.0-kb5046617-x64_2314.msu',
  path: 'updates/2024-11/windows11.0-kb5046617-x64_2314.msu',
  size: 1000,
  sha256: 'a'.repeat(64),
  source: 'folder updates/2024-11',
  ...over,
});

const lock = (files: LockedFile[]): Lock => ({
  media: { build: 26100, architecture: 'x64' },
  files,
  source: { type: 'folder', root: 'updates' },
  month: '2024-11',
  lockVersion: 1,
});

describe('lock file', () => {
  it('renders sorted keys and files in servicing order, whatever order they came in', () => {
    const files = [
      file({ role: 'dotnet', kb: 'KB5045934', build: '26100', fileName: 'ndp.msu' }),
      file({}),
      file({ role: 'checkpoint', kb: 'KB5043080', build: '26100.1742', fileName: 'cp.msu' }),
      file({ role: 'setup-du', kb: 'KB5046619', fileName: 'setup.cab' }),
      file({ role: 'ssu', kb: 'KB5047621', build: '26100.2308', fileName: 'ssu.cab' }),
    ];
    const text = renderLock(lock(files));
    expect(renderLock(lock([...files].reverse()))).toBe(text);
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['files', 'lockVersion', 'media', 'month', 'source']);
    expect(parsed.files.map((f: LockedFile) => f.role)).toEqual(['ssu', 'checkpoint', 'lcu', 'setup-du', 'dotnet']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps
  });

  it('sits beside the recipe, named after it', () => {
    expect(lockPathOf(path.join('r', 'osmedia.yml'))).toBe(path.join('r', 'osmedia.lock.json'));
    expect(lockPathOf(path.join('r', 'x64-24h2.yaml'))).toBe(path.join('r', 'x64-24h2.lock.json'));
  });

  it('a hand-edited lock is refused with the field and the fix', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'osmedia.lock.json');
    expect(await readLock(target)).toBeUndefined();
    await writeFile(target, renderLock(lock([file({ sha256: 'not-a-hash' })])));
    await expect(readLock(target)).rejects.toThrow(/files\.0\.sha256/);
    await writeFile(target, '{ "lockVersion": 1,');
    await expect(readLock(target)).rejects.toThrow(/not valid JSON/);
  });

  it('the month before a month', () => {
    expect(previousMonth('2025-01')).toBe('2024-12');
    expect(previousMonth('2024-11')).toBe('2024-10');
  });
});
