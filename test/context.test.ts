import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseEngine, defaultEngine, onPath } from '../src/context.ts';
import { Workspace } from '../src/media/workspace.ts';
import { tempDir } from './helpers.ts';

describe('engine choice', () => {
  it('uses DISM on Windows only when wimlib-imagex is not on PATH', async () => {
    const bin = await tempDir();
    const env = { PATH: bin, PATHEXT: '.COM;.EXE' };
    expect(defaultEngine(env, 'win32')).toBe('dism');
    await writeFile(path.join(bin, 'wimlib-imagex.exe'), '');
    expect(onPath('wimlib-imagex', env, 'win32')).toBe(true);
    expect(defaultEngine(env, 'win32')).toBe('wimlib');
    expect(defaultEngine({ PATH: '' }, 'linux')).toBe('wimlib');
    expect(defaultEngine({ PATH: '', OSMEDIA_ENGINE: 'dism' }, 'linux')).toBe('dism');
  });

  it('finds programs on a POSIX PATH', async () => {
    const bin = await tempDir();
    await writeFile(path.join(bin, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'tool'), 0o755);
    expect(onPath('tool', { PATH: `/nonexistent:${bin}` }, 'linux')).toBe(true);
    expect(onPath('other', { PATH: bin }, 'linux')).toBe(false);
  });

  it('refuses DISM off Windows and unknown engines, with the fix', async () => {
    const workspace = new Workspace(await tempDir());
    if (process.platform !== 'win32') expect(() => chooseEngine('dism', workspace)).toThrow(/runs only on Windows/);
    expect(() => chooseEngine('imagex', workspace)).toThrow(/Unknown engine "imagex"/);
    expect(chooseEngine('wimlib', workspace).name).toBe('wimlib');
  });
});
