// `osmedia diff`: what a change to a media line means, in the terms a reviewer checks in a pull
// request: editions, build.UBR, updates, files. Pure functions over two media states.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry, Manifest } from '../media/manifest.ts';
import type { Published } from '../distribute/published.ts';
import { MediaError } from '../util/errors.ts';
import { formatBytes } from '../util/events.ts';

export interface MediaState {
  label: string;
  build: string;
  editions: { name: string; editionId: string; version: string }[];
  updates: string[];
  /** Undefined when the files are not known yet (media not built). */
  files?: FileEntry[];
  /** The in-place upgrade task sequence, in one line; undefined when none was generated or asked for. */
  taskSequence?: string;
}

export interface MediaDiff {
  before: string;
  after: string;
  build: { before: string; after: string; changed: boolean };
  editions: { added: string[]; removed: string[]; kept: string[] };
  updates: { added: string[]; removed: string[] };
  files?: { added: string[]; removed: string[]; changed: string[]; bytesBefore: number; bytesAfter: number };
  /** Not part of `changed` (which is about the media): the task sequence that points at it. */
  taskSequence: { before: string; after: string; changed: boolean };
  changed: boolean;
}

/** One line for a task sequence: name, edition, package, scan-only. */
export function describeTaskSequence(ts: {
  name?: unknown;
  editionIndex?: unknown;
  edition?: unknown;
  packageId?: unknown;
  placeholder?: unknown;
  scanOnly?: unknown;
}): string {
  const edition =
    ts.editionIndex !== undefined ? `edition ${ts.editionIndex}${ts.edition ? ` (${ts.edition})` : ''}` : `edition ${ts.edition ?? '(the only one)'}`;
  const pkg = ts.placeholder ? 'placeholder package' : ts.packageId ? `package ${ts.packageId}` : 'package from the site, or a placeholder';
  return `${ts.name ?? '(default name)'}: ${edition}, ${pkg}${ts.scanOnly ? ', scan only' : ''}`;
}

const edition = (e: { name: string; editionId: string }) => `${e.editionId || '?'} (${e.name})`;
const updateName = (u: Record<string, unknown>) => String(u['kb'] || u['identity'] || u['file'] || u['name'] || JSON.stringify(u));

export function stateOfManifest(manifest: Manifest, label: string): MediaState {
  return {
    label,
    build: manifest.installWim.images[0]?.version ?? 'unknown',
    editions: manifest.installWim.images.map((i) => ({ name: i.name, editionId: i.editionId, version: i.version })),
    updates: [...new Set(manifest.updates.map(updateName))].sort(),
    files: manifest.files,
    taskSequence: ((ts) => (ts ? describeTaskSequence(ts.summary) : undefined))(
      [...manifest.history].reverse().find((h) => h.step === 'generate-task-sequence' && h.result === 'succeeded'),
    ),
  };
}

export function stateOfPublished(published: Published, label: string): MediaState {
  return {
    label,
    build: published.build,
    editions: published.editions.map((e) => ({ name: e.name, editionId: e.editionId, version: published.build })),
    updates: [...new Set(published.updates.map(updateName))].sort(),
    files: published.files,
  };
}

/** Reads a workspace manifest or a published-media manifest from a file. */
export async function readState(file: string): Promise<MediaState> {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new MediaError(`Cannot read ${file} as a manifest (${(error as Error).message})`, {
      fix: 'Pass an osmedia-manifest.json or an osmedia-published.json.',
    });
  }
  const label = path.basename(path.dirname(path.resolve(file)));
  if ('installWim' in data) {
    const { ManifestSchema } = await import('../media/manifest.ts');
    return stateOfManifest(ManifestSchema.parse(data), label);
  }
  if ('editions' in data && 'version' in data) {
    const { PublishedSchema } = await import('../distribute/published.ts');
    return stateOfPublished(PublishedSchema.parse(data), String(data.version));
  }
  throw new MediaError(`${file} is neither a workspace manifest nor a published-media manifest`, {
    fix: 'Pass an osmedia-manifest.json or an osmedia-published.json.',
  });
}

export function diffStates(before: MediaState, after: MediaState): MediaDiff {
  const names = (s: MediaState) => s.editions.map(edition);
  const b = new Set(names(before));
  const a = new Set(names(after));
  const ub = new Set(before.updates);
  const ua = new Set(after.updates);
  let files: MediaDiff['files'];
  if (before.files && after.files) {
    const bf = new Map(before.files.map((f) => [f.path, f]));
    const af = new Map(after.files.map((f) => [f.path, f]));
    files = {
      added: [...af.keys()].filter((p) => !bf.has(p)).sort(),
      removed: [...bf.keys()].filter((p) => !af.has(p)).sort(),
      changed: [...af.keys()].filter((p) => bf.has(p) && bf.get(p)!.sha256 !== af.get(p)!.sha256).sort(),
      bytesBefore: before.files.reduce((s, f) => s + f.size, 0),
      bytesAfter: after.files.reduce((s, f) => s + f.size, 0),
    };
  }
  const diff: MediaDiff = {
    before: before.label,
    after: after.label,
    build: { before: before.build, after: after.build, changed: before.build !== after.build },
    editions: { added: [...a].filter((e) => !b.has(e)), removed: [...b].filter((e) => !a.has(e)), kept: [...a].filter((e) => b.has(e)) },
    updates: { added: [...ua].filter((u) => !ub.has(u)), removed: [...ub].filter((u) => !ua.has(u)) },
    files,
    taskSequence: { before: before.taskSequence ?? '—', after: after.taskSequence ?? '—', changed: (before.taskSequence ?? '') !== (after.taskSequence ?? '') },
    changed: false,
  };
  diff.changed =
    diff.build.changed ||
    diff.editions.added.length + diff.editions.removed.length + diff.updates.added.length + diff.updates.removed.length > 0 ||
    Boolean(files && files.added.length + files.removed.length + files.changed.length > 0);
  return diff;
}

/** The diff as a Markdown table: for a job summary, a pull-request comment, or a terminal. */
export function renderDiff(diff: MediaDiff): string {
  const list = (items: string[]) => (items.length ? items.join('<br>') : '—');
  const rows = [
    ['Build', diff.build.before, diff.build.after, diff.build.changed ? 'changed' : 'same'],
    ['Editions added', '', list(diff.editions.added), ''],
    ['Editions removed', list(diff.editions.removed), '', ''],
    ['Editions kept', list(diff.editions.kept), list(diff.editions.kept), ''],
    ['Updates added', '', list(diff.updates.added), ''],
    ['Updates removed', list(diff.updates.removed), '', ''],
  ];
  if (diff.files) {
    rows.push([
      'Files',
      formatBytes(diff.files.bytesBefore),
      formatBytes(diff.files.bytesAfter),
      `${diff.files.added.length} added, ${diff.files.removed.length} removed, ${diff.files.changed.length} changed`,
    ]);
    for (const p of diff.files.changed.slice(0, 20)) rows.push(['changed', p, p, '']);
  } else {
    rows.push(['Files', '', '', 'not known until the media is built']);
  }
  rows.push(['Task sequence', diff.taskSequence.before, diff.taskSequence.after, diff.taskSequence.changed ? 'changed' : 'same']);
  const header = `| | ${diff.before} | ${diff.after} | |\n|---|---|---|---|`;
  const body = rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
  return `${diff.changed ? '**The media changes.**' : '**No change to the media.**'}\n\n${header}\n${body}\n`;
}
