// `osmedia inspect PATH`: what an ISO, a media folder, a workspace or a WIM holds, read-only.
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SevenZip } from '../imaging/sevenzip.ts';
import { readIso9660Label } from '../imaging/sevenzip.ts';
import type { ImageEngine, WimInfo } from '../imaging/types.ts';
import { MediaError } from '../util/errors.ts';
import { exists, listTree, removeTree } from '../util/fs.ts';
import { detectLayout } from './layout.ts';
import type { Manifest } from './manifest.ts';
import { MANIFEST_FILE, Workspace } from './workspace.ts';

export interface Inspection {
  path: string;
  kind: 'workspace' | 'iso' | 'folder' | 'wim';
  volumeLabel?: string;
  installKind?: string;
  install?: WimInfo;
  boot?: WimInfo;
  manifest?: Manifest;
}

export async function inspectPath(target: string, tools: { engine: ImageEngine; sevenZip: SevenZip }): Promise<Inspection> {
  const resolved = path.resolve(target);
  const info = await stat(resolved).catch((error: unknown) => {
    throw new MediaError(`${resolved} does not exist or cannot be read`, { fix: 'Pass an ISO, a media folder, a workspace or a WIM file.', cause: error });
  });
  if (info.isDirectory()) {
    if (await exists(path.join(resolved, MANIFEST_FILE))) {
      const manifest = await new Workspace(resolved).loadManifest();
      const toInfo = (r: Manifest['installWim']): WimInfo => ({
        imageCount: r.images.length,
        bootIndex: r.bootIndex,
        compression: r.compression,
        images: r.images,
      });
      return {
        path: resolved,
        kind: 'workspace',
        manifest,
        install: toInfo(manifest.installWim),
        boot: manifest.bootWim && toInfo(manifest.bootWim),
        volumeLabel: manifest.source.volumeLabel,
      };
    }
    const layout = detectLayout(
      (await listTree(resolved)).map((f) => f.path),
      resolved,
    );
    const at = (rel: string) => path.join(resolved, ...rel.split('/'));
    return {
      path: resolved,
      kind: 'folder',
      installKind: layout.installKind,
      install: await tools.engine.info(at(layout.installParts[0]!)),
      boot: layout.bootWim ? await tools.engine.info(at(layout.bootWim)) : undefined,
    };
  }
  if (/\.(wim|esd|swm)$/i.test(resolved)) return { path: resolved, kind: 'wim', install: await tools.engine.info(resolved) };

  // An ISO: list it, then extract only the image files to a temporary folder to read their XML.
  const listing = await tools.sevenZip.list(resolved);
  const layout = detectLayout(
    listing.entries.filter((e) => !e.folder).map((e) => e.path),
    resolved,
  );
  const temp = await mkdtemp(path.join(tmpdir(), 'osmedia-inspect-'));
  try {
    const wanted = [layout.installParts[0]!, ...(layout.bootWim ? [layout.bootWim] : [])];
    await tools.sevenZip.extract(resolved, temp, { paths: wanted });
    const at = (rel: string) => path.join(temp, ...rel.split('/'));
    return {
      path: resolved,
      kind: 'iso',
      volumeLabel: listing.volumeId ?? (await readIso9660Label(resolved)),
      installKind: layout.installKind,
      install: await tools.engine.info(at(layout.installParts[0]!)),
      boot: layout.bootWim ? await tools.engine.info(at(layout.bootWim)) : undefined,
    };
  } finally {
    await removeTree(temp);
  }
}

/** The inspection as text for people. */
export function renderInspection(inspection: Inspection): string {
  const lines = [
    `${inspection.path} (${inspection.kind}${inspection.volumeLabel ? `, label ${inspection.volumeLabel}` : ''}${inspection.installKind ? `, install.${inspection.installKind}` : ''})`,
  ];
  const table = (title: string, wim: WimInfo) => {
    lines.push(`${title}: ${wim.imageCount} image(s), ${wim.compression}${wim.bootIndex ? `, boot index ${wim.bootIndex}` : ''}`);
    lines.push('  index  EditionID                build              arch   languages  name');
    for (const i of wim.images) {
      lines.push(
        `  ${String(i.index).padEnd(5)}  ${(i.editionId || '-').padEnd(23)}  ${(i.version || '-').padEnd(17)}  ${(i.architecture || '-').padEnd(5)}  ${(i.languages.join(',') || '-').padEnd(9)}  ${i.name}`,
      );
    }
  };
  if (inspection.install) table('install image', inspection.install);
  if (inspection.boot) table('boot.wim', inspection.boot);
  if (inspection.manifest) {
    const m = inspection.manifest;
    lines.push(`source: ${m.source.path} (${m.source.kind}, sha256 ${m.source.sha256})`);
    lines.push(`files: ${m.files.length}, fingerprint ${m.fingerprint.slice(0, 16)}`);
    lines.push('history:');
    for (const h of m.history) lines.push(`  ${h.endedAt}  ${h.step.padEnd(17)} ${h.result}`);
  }
  return lines.join('\n');
}
