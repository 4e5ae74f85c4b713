import { chmod, mkdir, readdir, rm, truncate, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStep } from '../../src/pipeline/run-step.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { MediaError, UsageError } from '../../src/util/errors.ts';
import { runTool } from '../../src/util/exec.ts';
import { hashFile, listTree } from '../../src/util/fs.ts';
import { copyOfMedia, makeUnwritable, readJson, sampleMedia, snapshot, tempDir, testContext } from '../helpers.ts';

async function importFrom(source: string, options: Record<string, unknown> = {}, force = false) {
  const workspace = path.join(await tempDir(), 'ws');
  const context = testContext(workspace, { force });
  const result = await runStep(importMedia, { source, ...options }, context, 'test');
  return { workspace, context, result, manifest: await readJson(context.workspace.manifestPath) };
}

describe('import-media from an ISO', () => {
  it('extracts a UDF ISO, records images, files and the source, and leaves the ISO untouched', async () => {
    const sample = await sampleMedia();
    const before = await snapshot(sample.isoPath!);
    const { workspace, manifest, result } = await importFrom(sample.isoPath!);
    expect(await snapshot(sample.isoPath!)).toBe(before);
    expect(result.result).toBe('succeeded');
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.source).toMatchObject({
      path: sample.isoPath,
      kind: 'iso',
      sha256: await hashFile(sample.isoPath!),
      volumeLabel: 'CCCOMA_X64FRE_EN-US_DV9',
      installKind: 'wim',
    });
    expect(manifest.installWim.images.map((i: any) => i.editionId)).toEqual(['Education', 'Enterprise', 'Professional', 'ProfessionalEducation']);
    expect(manifest.installWim.images[0]).toMatchObject({ version: '10.0.26100.1742', architecture: 'x64', languages: ['en-US'], installationType: 'Client' });
    expect(manifest.bootWim).toMatchObject({ path: 'sources/boot.wim', bootIndex: 2 });
    // Every media file is recorded with its real size and hash, and nothing else.
    const files = await listTree(path.join(workspace, 'media'));
    expect(manifest.files.map((f: any) => f.path)).toEqual(files.map((f) => f.path));
    const setup = manifest.files.find((f: any) => f.path === 'sources/setup.exe');
    expect(setup.sha256).toBe(await hashFile(path.join(workspace, 'media', 'sources', 'setup.exe')));
    expect(manifest.history).toHaveLength(1);
    expect(manifest.history[0]).toMatchObject({ step: 'import-media', result: 'succeeded', outputFingerprint: manifest.fingerprint });
  });

  it('extracts an ISO9660/Joliet ISO (no UDF) and reads its label from the volume descriptor', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const iso = path.join(dir, 'joliet.iso');
    await runTool({
      tool: 'genisoimage',
      file: 'genisoimage',
      args: ['-quiet', '-J', '-joliet-long', '-iso-level', '3', '-V', 'JOLIET_LABEL', '-o', iso, sample.mediaDir],
    });
    const { manifest } = await importFrom(iso);
    expect(manifest.source.volumeLabel).toBe('JOLIET_LABEL');
    expect(manifest.installWim.images).toHaveLength(4);
  });

  it('converts install.esd from an ISO into install.wim and drops the .esd', async () => {
    const sample = await sampleMedia({ installKind: 'esd' });
    const { workspace, manifest } = await importFrom(sample.isoPath!, { compression: 'XPRESS' });
    const names = await readdir(path.join(workspace, 'media', 'sources'));
    expect(names).toContain('install.wim');
    expect(names).not.toContain('install.esd');
    expect(manifest.source.installKind).toBe('esd');
    expect(manifest.installWim.compression).toBe('XPRESS');
    expect(manifest.installWim.images.map((i: any) => i.name)).toEqual(sample.editions.map((e) => e.name));
  });
});

describe('import-media from a folder', () => {
  it('copies the tree with hashes, preserves mtimes, clears read-only bits, never writes to the source', async () => {
    const sample = await sampleMedia();
    const source = await copyOfMedia(sample);
    await chmod(path.join(source, 'setup.exe'), 0o444);
    const before = await snapshot(source);
    const { workspace, manifest } = await importFrom(source);
    expect(await snapshot(source)).toBe(before);
    expect(manifest.source.kind).toBe('folder');
    const copied = await listTree(path.join(workspace, 'media'));
    const original = await listTree(source);
    expect(copied.map((f) => [f.path, f.size, f.mtimeMs])).toEqual(original.map((f) => [f.path, f.size, f.mtimeMs]));
    const { stat } = await import('node:fs/promises');
    expect((await stat(path.join(workspace, 'media', 'setup.exe'))).mode & 0o200).toBe(0o200);
  });

  it('converts install.esd from a folder (LZX by default) without copying the .esd', async () => {
    const sample = await sampleMedia({ installKind: 'esd' });
    const { workspace, manifest } = await importFrom(sample.mediaDir);
    expect(await readdir(path.join(workspace, 'media', 'sources'))).not.toContain('install.esd');
    expect(manifest.installWim.compression).toBe('LZX');
    expect(manifest.installWim.images).toHaveLength(4);
  });

  it('joins split install.swm parts into one install.wim', async () => {
    const sample = await sampleMedia({ installKind: 'swm', payloadBytes: 700 * 1024, splitMiB: 1 });
    const parts = (await readdir(path.join(sample.mediaDir, 'sources'))).filter((n) => n.endsWith('.swm'));
    expect(parts.length).toBeGreaterThan(1); // really split
    const { workspace, manifest } = await importFrom(sample.mediaDir);
    const names = await readdir(path.join(workspace, 'media', 'sources'));
    expect(names.filter((n) => n.endsWith('.swm'))).toEqual([]);
    expect(manifest.source.installKind).toBe('swm');
    expect(manifest.installWim.images.map((i: any) => i.editionId)).toEqual(['Education', 'Enterprise', 'Professional', 'ProfessionalEducation']);
  });
});

describe('import-media refuses bad input with the source unchanged', () => {
  it('a missing source', async () => {
    const missing = path.join(await tempDir(), 'nope.iso');
    await expect(importFrom(missing)).rejects.toThrow(/does not exist/);
  });

  it('an ISO that is not Windows media names what is missing', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'tree', 'docs'), { recursive: true });
    await writeFile(path.join(dir, 'tree', 'docs', 'readme.txt'), 'hello');
    const iso = path.join(dir, 'linux.iso');
    await runTool({ tool: 'genisoimage', file: 'genisoimage', args: ['-quiet', '-udf', '-J', '-V', 'DATA', '-o', iso, path.join(dir, 'tree')] });
    const before = await snapshot(iso);
    const error = await importFrom(iso).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toMatch(/not Windows installation media: missing setup\.exe at the root and sources\/install\.wim/);
    expect((error as MediaError).fix).toMatch(/--source/);
    expect(await snapshot(iso)).toBe(before);
  });

  it('a corrupt ISO', async () => {
    const dir = await tempDir();
    const iso = path.join(dir, 'corrupt.iso');
    await writeFile(iso, Buffer.alloc(300 * 1024, 0x5a));
    const before = await snapshot(iso);
    await expect(importFrom(iso)).rejects.toThrow(/cannot be opened as an ISO/);
    expect(await snapshot(iso)).toBe(before);
  });

  it('a truncated install.wim', async () => {
    const sample = await sampleMedia();
    const source = await copyOfMedia(sample);
    const wim = path.join(source, 'sources', 'install.wim');
    await truncate(wim, 4096);
    const before = await snapshot(source);
    const error = await importFrom(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as Error).message).toMatch(/install\.wim is not a readable WIM file/);
    expect((error as MediaError).fix).toMatch(/damaged or truncated/);
    expect(await snapshot(source)).toBe(before);
  });

  it('an unwritable workspace: a read-only folder, and a path under a file', async () => {
    const sample = await sampleMedia();
    const isoBefore = await snapshot(sample.isoPath!);
    const dir = await tempDir();
    const readOnly = path.join(dir, 'readonly');
    await mkdir(readOnly);
    const undo = await makeUnwritable(readOnly);
    if (undo) {
      try {
        const error = await runStep(importMedia, { source: sample.isoPath }, testContext(readOnly), 'test').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MediaError);
        expect((error as Error).message).toMatch(/is not writable \((EACCES|EPERM)\)/);
        expect((error as MediaError).fix).toMatch(/--workspace/);
      } finally {
        await undo();
      }
    }
    const blocker = path.join(dir, 'file');
    await writeFile(blocker, 'a file where the workspace parent should be');
    await expect(runStep(importMedia, { source: sample.isoPath }, testContext(path.join(blocker, 'ws')), 'test')).rejects.toThrow(
      /is not writable \(ENOTDIR\)/,
    );
    expect(await snapshot(sample.isoPath!)).toBe(isoBefore);
  });

  it('a non-empty folder that is no workspace, unless --force', async () => {
    const sample = await sampleMedia();
    const workspace = await tempDir();
    await mkdir(path.join(workspace, 'media'));
    await writeFile(path.join(workspace, 'media', 'photo.jpg'), 'not windows media');
    await expect(runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test')).rejects.toThrow(/is not empty \(media\)/);
    await rm(path.join(workspace, 'media'), { recursive: true });
    await writeFile(path.join(workspace, 'notes.txt'), 'mine');
    await expect(runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test')).rejects.toBeInstanceOf(UsageError);
    const forced = await runStep(importMedia, { source: sample.isoPath }, testContext(workspace, { force: true }), 'test');
    expect(forced.result).toBe('succeeded');
    expect(await readdir(workspace)).toContain('notes.txt');
  });

  it('a SHA-256 pin that does not match', async () => {
    const sample = await sampleMedia();
    await expect(importFrom(sample.isoPath!, { sha256: 'a'.repeat(64) })).rejects.toThrow(/not the pinned a{64}/);
  });

  it('an invalid option names the field', async () => {
    const sample = await sampleMedia();
    await expect(importFrom(sample.isoPath!, { compression: 'ZIP' })).rejects.toThrow(/compression/);
  });
});

describe('re-import', () => {
  it('skips an unchanged import and refuses other media without --force', async () => {
    const sample = await sampleMedia();
    const { workspace } = await importFrom(sample.isoPath!);
    const again = await runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test');
    expect(again.result).toBe('skipped');
    const other = await sampleMedia({ label: 'OTHER' });
    const refused = await runStep(importMedia, { source: other.isoPath }, testContext(workspace), 'test').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toMatch(/already holds media imported from .*CCCOMA/);
    expect((refused as UsageError).fix).toMatch(/--force/);
    const forced = await runStep(importMedia, { source: other.isoPath }, testContext(workspace, { force: true }), 'test');
    expect(forced.manifest.source.volumeLabel).toBe('OTHER');
    // The replaced media is gone, not left behind in the state folder.
    expect(await readdir(path.join(workspace, '.osmedia', 'tmp')).catch(() => [])).toEqual([]);
  });

  it('with a SHA-256 pin, the pin is the identity: a moved or touched ISO with that content is the same import', async () => {
    const sample = await sampleMedia();
    const sha256 = await hashFile(sample.isoPath!);
    const dir = await tempDir();
    const iso = path.join(dir, 'win.iso');
    await copyFile(sample.isoPath!, iso);
    const { workspace } = await importFrom(iso, { sha256 });
    const moved = path.join(dir, 'elsewhere.iso');
    await copyFile(iso, moved); // a new path and a new mtime, the same bytes
    const again = await runStep(importMedia, { source: moved, sha256: sha256.toUpperCase() }, testContext(workspace), 'test');
    expect(again.result).toBe('skipped');
  });

  it('is not fooled by a source swapped in place with the same name', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const iso = path.join(dir, 'win.iso');
    await copyFile(sample.isoPath!, iso);
    const { workspace } = await importFrom(iso);
    const other = await sampleMedia({ label: 'SWAPPED' });
    await rm(iso);
    await copyFile(other.isoPath!, iso);
    const { utimes } = await import('node:fs/promises');
    await utimes(iso, new Date(), new Date(Date.now() + 5000));
    await expect(runStep(importMedia, { source: iso }, testContext(workspace), 'test')).rejects.toThrow(/already holds media/);
  });
});
