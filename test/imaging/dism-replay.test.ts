// The DISM engine run for real through its process path, against a stand-in `dism` that records
// its command line and replays output in DISM's own format (test/fixtures). What runs on Windows
// differs only in the binary.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DismEngine } from '../../src/imaging/dism.ts';
import { MediaError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers.ts';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');

/** A stand-in dism: appends its argv to calls.log and prints the fixture its arguments select. */
async function fakeDism(options: { failOn?: string; exitCode?: number } = {}): Promise<{ file: string; calls: () => Promise<string[][]> }> {
  const dir = await tempDir();
  const log = path.join(dir, 'calls.log');
  const file = path.join(dir, 'dism');
  await writeFile(
    file,
    `#!/bin/sh
printf '%s\\t' "$@" >> '${log}'; echo >> '${log}'
case "$*" in
  *${options.failOn ?? '__never__'}*) echo "Error: ${options.exitCode ?? 87}"; echo; echo "The parameter is incorrect."; exit ${options.exitCode ?? 87} ;;
  *"/Get-ImageInfo"*"/Index:"*) cat '${path.join(fixtures, 'dism-get-imageinfo-index.txt')}' ;;
  *"/Get-ImageInfo"*) cat '${path.join(fixtures, 'dism-get-imageinfo-list.txt')}' ;;
  *"/Export-Image"*) printf '[==========                 20.0%%                          ]\\r[==========================100.0%%==========================]\\nThe operation completed successfully.\\n' ;;
esac
`,
  );
  await chmod(file, 0o755);
  return {
    file,
    calls: async () =>
      (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split('\t').filter(Boolean)),
  };
}

describe('DISM engine, replayed', () => {
  it('reads images with /Get-ImageInfo: the list, then each index in detail', async () => {
    const dism = await fakeDism();
    const info = await new DismEngine(dism.file).info('E:\\sources\\install.wim');
    expect(info.images.map((i) => [i.index, i.name])).toEqual([
      [1, 'Windows 11 Education'],
      [2, 'Windows 11 Pro'],
    ]);
    // The detail fixture describes index 3 whatever index is asked: what matters here is the merge and the calls.
    expect(info.images[0]).toMatchObject({ editionId: 'Enterprise', version: '10.0.26100.2314', languages: ['de-DE', 'en-US'], defaultLanguage: 'de-DE' });
    expect(await dism.calls()).toEqual([
      ['/Get-ImageInfo', '/ImageFile:E:\\sources\\install.wim', '/English'],
      ['/Get-ImageInfo', '/ImageFile:E:\\sources\\install.wim', '/Index:1', '/English'],
      ['/Get-ImageInfo', '/ImageFile:E:\\sources\\install.wim', '/Index:2', '/English'],
    ]);
  });

  it('exports each kept index in order, with integrity checking, and streams its progress', async () => {
    const dism = await fakeDism();
    const progress: number[] = [];
    await new DismEngine(dism.file).exportImages('C:\\w\\media\\sources\\install.wim', [3, 1], 'C:\\w\\.osmedia\\tmp\\install.wim', {
      compression: 'LZX',
      onProgress: (s) => progress.push(s.done),
    });
    expect(await dism.calls()).toEqual([
      [
        '/Export-Image',
        '/SourceImageFile:C:\\w\\media\\sources\\install.wim',
        '/SourceIndex:3',
        '/DestinationImageFile:C:\\w\\.osmedia\\tmp\\install.wim',
        '/Compress:max',
        '/CheckIntegrity',
        '/English',
      ],
      [
        '/Export-Image',
        '/SourceImageFile:C:\\w\\media\\sources\\install.wim',
        '/SourceIndex:1',
        '/DestinationImageFile:C:\\w\\.osmedia\\tmp\\install.wim',
        '/Compress:max',
        '/CheckIntegrity',
        '/English',
      ],
    ]);
    expect(progress).toEqual([20, 100, 20, 100]);
  });

  it('turns a DISM failure into an error that names the image, with its log kept', async () => {
    const dism = await fakeDism({ failOn: '/Get-ImageInfo', exitCode: 87 });
    const logs = await tempDir();
    const error = await new DismEngine(dism.file, logs).info('E:\\sources\\broken.wim').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as Error).message).toBe('DISM cannot read E:\\sources\\broken.wim (exit code 87)');
    const { readdir } = await import('node:fs/promises');
    const [log] = await readdir(logs);
    expect(log).toMatch(/^DISM-.*\.log$/);
    const text = await readFile(path.join(logs, log!), 'utf8');
    expect(text).toContain('/Get-ImageInfo /ImageFile:');
    expect(text).toContain('exit code: 87');
    expect(text).toContain('The parameter is incorrect.');
    expect((error as MediaError).fix).toContain(path.join(logs, log!));
  });
});
