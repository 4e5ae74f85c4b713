// The Windows path logic, on path.win32 (runs anywhere): UNC targets and the \\?\ long forms.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameProblems } from '../../src/distribute/names.ts';
import { mirrorStateDir } from '../../src/distribute/plan.ts';
import { fromLongPath, isRoot, isUnc, normalizeTarget, windowsLength } from '../../src/distribute/win-path.ts';

const w = path.win32;

describe('Windows target paths', () => {
  it('reads the long forms as the plain ones', () => {
    expect(fromLongPath('\\\\?\\UNC\\cm01\\sources$\\OS\\Win11')).toBe('\\\\cm01\\sources$\\OS\\Win11');
    expect(fromLongPath('\\\\?\\D:\\Sources\\Win11')).toBe('D:\\Sources\\Win11');
    expect(normalizeTarget('\\\\?\\UNC\\cm01\\sources$\\OS\\Win11\\', w)).toBe('\\\\cm01\\sources$\\OS\\Win11');
    expect(normalizeTarget('\\\\cm01\\sources$\\OS\\..\\OS\\Win11', w)).toBe('\\\\cm01\\sources$\\OS\\Win11');
    expect(isUnc('\\\\cm01\\sources$\\OS')).toBe(true);
    expect(isUnc('\\\\?\\UNC\\cm01\\sources$')).toBe(true);
    expect(isUnc('\\\\?\\C:\\x')).toBe(false);
    expect(isUnc('C:\\x')).toBe(false);
  });

  it('knows the root of a share or drive, in every form (a mirror needs a folder beside it)', () => {
    for (const root of ['\\\\cm01\\sources$', '\\\\cm01\\sources$\\', '\\\\?\\UNC\\cm01\\sources$', 'C:\\', '\\\\?\\C:\\'])
      expect(isRoot(root, w), root).toBe(true);
    for (const folder of ['\\\\cm01\\sources$\\OS', '\\\\?\\UNC\\cm01\\sources$\\OS\\Win11', 'C:\\Sources']) expect(isRoot(folder, w), folder).toBe(false);
  });

  it("puts a UNC mirror's side folder beside it on the same share", () => {
    expect(mirrorStateDir(normalizeTarget('\\\\?\\UNC\\cm01\\sources$\\OS\\Win11', w), w)).toBe('\\\\cm01\\sources$\\OS\\.Win11.osmedia');
    expect(mirrorStateDir('\\\\cm01\\sources$\\Win11', w)).toBe('\\\\cm01\\sources$\\.Win11.osmedia');
  });

  it('measures paths as Windows does, with the \\\\?\\UNC\\ prefix, against the 32,767 limit', () => {
    expect(windowsLength('\\\\cm01\\s\\OS')).toBe('\\\\?\\UNC\\cm01\\s\\OS'.length);
    expect(windowsLength('C:\\OS')).toBe('\\\\?\\C:\\OS'.length);
    const target = '\\\\cm01\\sources$\\OS\\Win11';
    // 32,767 counted with the prefix: a media path that fits the plain form can still be over.
    const rel = Array.from({ length: 1500 }, () => 'abcdefghijklmnopqrstuv')
      .join('/')
      .slice(0, 32_767 - target.length - 1);
    expect(nameProblems([rel], target.length)).toEqual([]);
    expect(nameProblems([rel], windowsLength(target))[0]).toMatch(/over Windows' 32767/);
  });
});
