// The client's traits that osmedia must cope with, measured on a real share (so a change in the
// client or server shows up here first, not as a strange publish failure).
import { appendFile, copyFile, link, open, readdir, readFile, rm, statfs, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smbUnavailable, startShare, type SmbShare } from './share.ts';

const skip = smbUnavailable();

describe.skipIf(skip)('the test SMB share (smbd + smbnetfs) has the traits of a real share', () => {
  let share: SmbShare;
  beforeAll(async () => {
    share = await startShare();
  });
  afterAll(async () => {
    await share?.stop();
  });

  it('reports 0 total and 0 free space', async () => {
    const s = await statfs(share.dir);
    expect([Number(s.blocks), Number(s.bavail)]).toEqual([0, 0]);
  });

  it('refuses link(), copyFile and ftruncate; keeps whole-second mtimes', async () => {
    const a = path.join(share.dir, 'a.txt');
    await writeFile(a, 'hello');
    await expect(link(a, path.join(share.dir, 'b.txt'))).rejects.toMatchObject({ code: 'EPERM' });
    await expect(copyFile(a, path.join(share.dir, 'c.txt'))).rejects.toMatchObject({ code: 'EIO' });
    const handle = await open(path.join(share.dir, 'd.txt'), 'w');
    await expect(handle.truncate(0)).rejects.toMatchObject({ code: 'EIO' });
    await handle.close();
    await utimes(a, 1_700_000_000.6, 1_700_000_000.6);
    expect((await stat(a)).mtimeMs).toBe(1_700_000_000_000);
  });

  it('drops what follows ?, ignores letter case, and refuses : * < > | " \\', async () => {
    await writeFile(path.join(share.dir, 'q?x'), 'z');
    expect(await readdir(share.dir)).toContain('q');
    await writeFile(path.join(share.dir, 'Case.txt'), 'one');
    await writeFile(path.join(share.dir, 'CASE.txt'), 'two');
    expect(await readFile(path.join(share.serverDir, 'Case.txt'), 'utf8')).toBe('two');
    for (const ch of [':', '*', '<', '>', '|', '"', '\\'])
      // Refused (EIO; the backslash, a separator on the wire, sometimes ENOENT): nothing appears on the server.
      await expect(writeFile(path.join(share.dir, `x${ch}y`), 'z'), ch).rejects.toMatchObject({ code: expect.stringMatching(/^(EIO|ENOENT)$/) });
    expect((await readdir(share.serverDir)).filter((n) => n.startsWith('x'))).toEqual([]);
  });

  it('refuses O_APPEND writes, and deleting a file another client holds open', async () => {
    const log = path.join(share.dir, 'log.txt');
    await writeFile(log, 'one\n');
    await expect(appendFile(log, 'two\n')).rejects.toMatchObject({ code: 'EIO' });
    // The client recovers from the failure once its negative cache (1 ms here) lapses: a condition to
    // wait for, a bounded number of tries, never a fixed sleep.
    let recovered: unknown;
    for (let attempt = 0; attempt < 200; attempt++) {
      recovered = await writeFile(path.join(share.dir, 'after.txt'), 'ok').then(
        () => true,
        (error: unknown) => error,
      );
      if (recovered === true) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(recovered).toBe(true);
    const reader = await open(log, 'r');
    await expect(rm(log)).rejects.toMatchObject({ code: 'EBUSY' });
    await reader.close();
  });

  it('creates a file with O_EXCL once only (what the lock relies on)', async () => {
    const file = path.join(share.dir, 'lock');
    await (await open(file, 'wx')).close();
    await expect(open(file, 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
