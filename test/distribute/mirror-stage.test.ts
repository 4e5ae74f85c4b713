// A mirror's stage has a fixed name: what a killed publish left there must never be taken for other
// media. The staging log names each file by content (SHA-256 and path), so a leftover of the same
// path and size from an older build is copied afresh (review of the merged publish split).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../src/util/fs.ts';
import { readJson, tempDir } from '../helpers.ts';
import { publishTo, restamp, stampedWorkspace } from './helpers.ts';

describe('mirror staging left by a killed publish', () => {
  it('a staged file of an older build, same path and size, is not swapped in under the new hash', async () => {
    const ws = await stampedWorkspace();
    const target = path.join(await tempDir(), 'mirror');
    await publishTo(ws, [target], { layout: 'mirror' });
    const before = await readJson(path.join(ws, 'osmedia-manifest.json'));
    await restamp(ws, 'r2');
    const r2 = await readJson(path.join(ws, 'osmedia-manifest.json'));
    const changed = r2.files.filter((f: any) => before.files.find((g: any) => g.path === f.path)?.sha256 !== f.sha256);
    expect(changed.length).toBeGreaterThan(0);
    // What a publish of r2 killed before its swap leaves: the staged files and their log lines.
    const state = path.join(path.dirname(target), '.mirror.osmedia');
    for (const f of changed) {
      await mkdir(path.dirname(path.join(state, 'staging', f.path)), { recursive: true });
      await copyFile(path.join(ws, 'media', f.path), path.join(state, 'staging', f.path));
    }
    // Both line forms: by content (today's) and by path alone (what a log by name would say).
    await writeFile(path.join(state, 'staging.done'), changed.map((f: any) => `${f.sha256} ${f.path}\n${f.path}\n`).join(''));
    // r3: the same files at the same sizes (a revision of the same length), other content.
    await restamp(ws, 'r3');
    const r3 = await readJson(path.join(ws, 'osmedia-manifest.json'));
    for (const f of changed) expect(r3.files.find((g: any) => g.path === f.path).size).toBe(f.size);
    await publishTo(ws, [target], { layout: 'mirror' });
    for (const f of r3.files) expect(await hashFile(path.join(target, f.path)), f.path).toBe(f.sha256);
  });
});
