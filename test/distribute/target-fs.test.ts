// The target back end's comparisons and probes (the SMB share's own are in test/smb/).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareOnDisk, probeTarget } from '../../src/distribute/target-fs.ts';
import { nameProblems } from '../../src/distribute/names.ts';
import { tempDir } from '../helpers.ts';
import { readdir } from 'node:fs/promises';

describe('mtimes at the target granularity', () => {
  const entry = { size: 10, mtimeMs: 1_700_000_000_789 };
  it('a local disk (2 ms): equal within 2 ms, else changed', () => {
    expect(compareOnDisk(entry, { size: 10, mtimeMs: 1_700_000_000_790 }, 2)).toBe('same');
    expect(compareOnDisk(entry, { size: 10, mtimeMs: 1_700_000_000_000 }, 2)).toBe('changed');
    expect(compareOnDisk(entry, { size: 11, mtimeMs: entry.mtimeMs }, 2)).toBe('changed');
    expect(compareOnDisk(entry, undefined, 2)).toBe('changed');
  });
  it('SMB (1 s) and FAT (2 s): a different time is hashed, never trusted either way', () => {
    expect(compareOnDisk(entry, { size: 10, mtimeMs: 1_700_000_000_000 }, 1000)).toBe('doubt');
    expect(compareOnDisk(entry, { size: 10, mtimeMs: 1_700_000_002_000 }, 2000)).toBe('doubt');
    expect(compareOnDisk({ size: 10, mtimeMs: 1_700_000_000_000 }, { size: 10, mtimeMs: 1_700_000_000_000 }, 1000)).toBe('same');
    expect(compareOnDisk(entry, { size: 9, mtimeMs: entry.mtimeMs }, 1000)).toBe('changed');
  });
  it('a local folder keeps links and milliseconds; the probe leaves nothing behind', async () => {
    const dir = path.join(await tempDir(), 'Win11');
    expect(await probeTarget(dir, dir)).toEqual({ links: true, mtimeGranularityMs: 2, serverCopy: false });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('names a Windows share cannot store', () => {
  it('lists every offender, folders included', () => {
    expect(
      nameProblems(
        [
          'setup.exe',
          'sources/a|b.cab',
          'sources/LPT1',
          'sources/aux.inf',
          'Sources/x.txt',
          'sources/ok',
          'boot/x\u0001y',
          'efi/dir./f',
          `d/${'n'.repeat(256)}`,
        ],
        20,
      ),
    ).toEqual([
      'sources/a|b.cab: reserved character "|"',
      'sources/LPT1: reserved device name LPT1',
      'sources/aux.inf: reserved device name AUX',
      'Sources: differs from sources only in letter case (one name on a Windows share)',
      'boot/x\u0001y: reserved character "\\u0001"',
      'efi/dir./f: ends with a period (in the folder name "dir.")',
      `d/${'n'.repeat(256)}: component longer than 255 characters`,
    ]);
    expect(nameProblems(['setup.exe', 'sources/install.wim', 'sources/$OEM$/x.cmd', 'console.txt', 'COM10'], 20)).toEqual([]);
  });
});
