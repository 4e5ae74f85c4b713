// The media phase, after the images (table steps 26-28 of media-dynamic-update.md): the Setup DU
// expanded into sources/ ("copies the individual files in the Setup Dynamic Update package to the
// new media"), then setup.exe, setuphost.exe and the boot managers from boot.wim index 2 over them
// (boot-files.ts says which). Everything is staged in the workspace's temporary folder and handed
// back as renames; sources/setup.exe is verified equal to the one in boot.wim index 2.
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from '../util/errors.ts';
import { hashFile } from '../util/fs.ts';
import { stageBootFiles } from '../media/boot/boot-files.ts';
import { safeExtract } from '../util/safe-extract.ts';
import type { RunState } from './execute-types.ts';
import { describeOperation } from './plan-format.ts';
import type { PlanTarget } from './plan-types.ts';

export async function stageMedia(
  run: RunState,
  target: PlanTarget,
  bootWim: string,
): Promise<{ renames: { from: string; to: string }[]; paths: string[]; cleanup: string[] }> {
  const { workspace, sevenZip } = run.o;
  const files = run.files;
  // Extracted into the workspace's temporary folder (the media's disk), so most files are renamed into place, not copied.
  const staged = new Map<string, string>(); // media path → staged file
  const cleanup: string[] = [];
  for (const op of target.operations) {
    if (op.action === 'expand-setup-du') {
      run.info(`media: ${describeOperation(op)}`);
      const dir = await workspace.tempPath(`setupdu-${op.package.kb || 'x'}`);
      cleanup.push(dir);
      await safeExtract(sevenZip, op.package.file, dir, { logDir: workspace.logsDir }); // names, size, links judged first (issue 16)
      // Names only, from one recursive readdir: a stat per file, all at once (listTree), took 350 MB for a CAB of 60,000 files.
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        staged.set(`sources/${path.relative(dir, full).split(path.sep).join('/')}`, full);
      }
    }
    if (op.action === 'copy-from-boot') {
      run.info(`media: ${describeOperation(op)}`);
      const dir = await workspace.tempPath('from-boot');
      cleanup.push(dir);
      // Which boot files, and the never-downgrade rule: src/media/boot/boot-files.ts.
      const boot = await stageBootFiles(files, bootWim, op, { mediaDir: workspace.mediaDir, mediaFiles: run.o.mediaFiles, tempDir: dir });
      for (const [dest, file] of boot.staged) staged.set(dest, file);
      run.bootNotes.push(...boot.notes);
    }
  }
  // Media paths keep the case the media already uses (sources/SetupPlatform.dll vs setupplatform.dll).
  const existing = new Map(run.o.mediaFiles.map((p) => [p.toLowerCase(), p]));
  const renames: { from: string; to: string }[] = [];
  const paths: string[] = [];
  const used = new Set<string>();
  for (const [mediaPath, source] of staged) {
    const actual = existing.get(mediaPath.toLowerCase()) ?? mediaPath;
    // A file with several destinations (bootmgfw.efi) is renamed to the first and copied for the others.
    let from = source;
    if (used.has(source)) {
      from = await workspace.tempPath(path.basename(actual));
      await copyFile(source, from);
    }
    used.add(source);
    renames.push({ from, to: workspace.media(actual) });
    paths.push(actual);
  }
  const setup = target.operations.some((o) => o.action === 'copy-from-boot')
    ? renames.find((r) => r.to === workspace.media(existing.get('sources/setup.exe') ?? 'sources/setup.exe'))
    : undefined;
  if (setup) {
    const check = path.join(run.runDir, 'check');
    await files.extractFiles(bootWim, 2, ['sources/setup.exe'], check);
    const [name] = await readdir(check);
    if ((await hashFile(setup.from)) !== (await hashFile(path.join(check, name!)))) {
      throw new MediaError('sources/setup.exe does not equal the one in boot.wim index 2', {
        fix: 'Nothing was replaced; run again. If it persists, re-import the media.',
      });
    }
    run.verified.push('sources/setup.exe equals boot.wim index 2');
  }
  return { renames, paths, cleanup };
}
