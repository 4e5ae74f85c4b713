// File work on WIMs besides servicing (take Winre.wim and the setup files out, put WinRE back,
// export): wimlib where installed, and DISM otherwise (a read-only mount to take files out, a
// mount and commit to put one in), so the same plan runs on Linux and on a bare Windows runner.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DismEngine } from '../imaging/dism.ts';
import type { WimlibEngine } from '../imaging/wimlib.ts';
import type { DismSession } from './execute-dism.ts';
import { listTree } from '../util/fs.ts';
import type { WimFiles } from './execute-types.ts';

/** A path inside a mounted image, found case-insensitively, as Windows would. */
async function findInMount(root: string, pathInImage: string): Promise<string | undefined> {
  let current = root;
  for (const part of pathInImage.split('/').filter(Boolean)) {
    const names = await readdir(current).catch(() => [] as string[]);
    const match = names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (!match) return undefined;
    current = path.join(current, match);
  }
  return current;
}

export function wimlibFiles(wimlib: WimlibEngine, logDir: string): WimFiles {
  return {
    name: 'wimlib',
    info: (wim) => wimlib.info(wim),
    extractFiles: (wim, index, paths, destDir) => wimlib.extractFiles(wim, index, paths, destDir, { logDir }),
    replaceFile: (wim, index, source, pathInImage) => wimlib.replaceFile(wim, index, source, pathInImage, { logDir }),
    list: (wim, index, under) => wimlib.listFiles(wim, index, under),
    exportImages: (source, indexes, dest) => wimlib.exportImages(source, indexes, dest, { logDir }),
  };
}

export function dismFiles(session: DismSession, dismFile: string | undefined): WimFiles {
  return {
    name: 'dism',
    info: (wim) => new DismEngine(dismFile, session.logDir).info(wim),
    extractFiles: async (wim, index, paths, destDir) => {
      const label = `${path.basename(wim)} index ${index}`;
      const dir = await session.mount(wim, index, session.nextMountName('read'), label, true);
      try {
        await mkdir(destDir, { recursive: true });
        for (const file of paths) {
          const found = await findInMount(dir, file);
          if (found) await copyFile(found, path.join(destDir, path.basename(found)));
        }
      } finally {
        await session.unmount(dir, false, label);
      }
    },
    list: async (wim, index, under) => {
      const label = `${path.basename(wim)} index ${index}`;
      const dir = await session.mount(wim, index, session.nextMountName('read'), label, true);
      try {
        const root = under ? await findInMount(dir, under) : dir;
        if (!root) return [];
        const prefix = path.relative(dir, root).split(path.sep).filter(Boolean).join('/');
        return (await listTree(root)).map((f) => (prefix ? `${prefix}/${f.path}` : f.path));
      } finally {
        await session.unmount(dir, false, label);
      }
    },
    replaceFile: async (wim, index, source, pathInImage) => {
      const label = `${path.basename(wim)} index ${index}`;
      const dir = await session.mount(wim, index, session.nextMountName('write'), label);
      try {
        const dest = (await findInMount(dir, pathInImage)) ?? path.join(dir, ...pathInImage.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        await copyFile(source, dest);
      } catch (error) {
        await session.discardAll();
        throw error;
      }
      await session.unmount(dir, true, label);
    },
    exportImages: (source, indexes, dest, bootIndex) => session.exportAll(source, indexes, dest, bootIndex, path.basename(source)),
  };
}
