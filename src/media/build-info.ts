// The build file stamped onto the media: what a technician reads on an endpoint (in the package
// folder, or in C:\$WINDOWS.~BT\Sources after Setup copied sources/) to know which media it is.
import { KIND_TITLES, type UpdateKind } from './update-kinds.ts';
import type { Manifest } from './manifest.ts';
import { describeBootManager } from './boot/record.ts';

export interface BuildInfo {
  osmediaVersion: string;
  stampedAt: string;
  /** The OS build with UBR; when editions differ, the lowest. */
  build: string;
  editions: { index: number; name: string; editionId: string; version: string }[];
  architecture: string;
  languages: string[];
  volumeLabel: string | null;
  source: { path: string; kind: string; sha256: string };
  recipeRevision: string;
  updates: Record<string, unknown>[];
  /** The CA that signed efi/boot/bootx64.efi ("Windows UEFI CA 2023", …; docs/boot-media.md). */
  bootManager: string;
  bootManagerCa: string | null;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function buildInfoFrom(manifest: Manifest, details: { stampedAt: string; recipeRevision: string; osmediaVersion: string }): BuildInfo {
  const images = manifest.installWim.images;
  const versions = [...new Set(images.map((i) => i.version))].sort(compareVersions);
  return {
    osmediaVersion: details.osmediaVersion,
    stampedAt: details.stampedAt,
    build: versions[0] ?? 'unknown',
    editions: images.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId, version: i.version })),
    architecture: [...new Set(images.map((i) => i.architecture))].join(', '),
    languages: [...new Set(images.flatMap((i) => i.languages))],
    volumeLabel: manifest.source.volumeLabel ?? null,
    source: { path: manifest.source.path, kind: manifest.source.kind, sha256: manifest.source.sha256 },
    recipeRevision: details.recipeRevision,
    updates: manifest.updates,
    bootManager: describeBootManager(manifest.bootManager),
    bootManagerCa: manifest.bootManager?.ca ?? null,
  };
}

/**
 * A value as one line of the text file: control characters (CR, LF, TAB, NUL…), NEL and the Unicode
 * line and paragraph separators are written as visible \\xHH / \\uHHHH escapes, so a value from a
 * recipe, a media label or an image name cannot forge extra lines (issue 16.12). The JSON twin needs
 * nothing: JSON.stringify escapes them itself.
 */
export function oneLine(value: unknown): string {
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One line per update, with where it went: "KB5046617 (cumulative update: install.wim:1, boot.wim:1)". */
function updateLines(updates: readonly Record<string, unknown>[]): string[] {
  const groups = new Map<string, { kind: string; targets: string[] }>();
  for (const update of updates) {
    const key = String(update['kb'] || update['identity'] || update['file'] || '?');
    const group = groups.get(key) ?? { kind: String(update['kind'] ?? ''), targets: [] };
    if (update['target'] && !group.targets.includes(String(update['target']))) group.targets.push(String(update['target']));
    groups.set(key, group);
  }
  return [...groups].map(
    ([key, g]) => `  ${oneLine(key)} (${oneLine(KIND_TITLES[g.kind as UpdateKind] ?? g.kind)}${g.targets.length ? `: ${oneLine(g.targets.join(', '))}` : ''})`,
  );
}

/** The plain-text twin, for people. Windows line endings: it is read with Notepad on endpoints. */
export function renderBuildText(info: BuildInfo): string {
  const v = oneLine;
  const lines = [
    'osmedia build information',
    '=========================',
    `OS build:         ${v(info.build)}`,
    `Architecture:     ${v(info.architecture)}`,
    `Languages:        ${v(info.languages.join(', '))}`,
    `Editions:`,
    ...info.editions.map((e) => `  ${e.index}: ${v(e.name)} [${v(e.editionId)}] ${v(e.version)}`),
    `Updates applied:  ${info.updates.length === 0 ? 'none' : ''}`,
    ...updateLines(info.updates),
    `Boot manager:     ${v(info.bootManager)}`,
    `Volume label:     ${v(info.volumeLabel ?? '(none)')}`,
    `Source:           ${v(info.source.path)} (${v(info.source.kind)})`,
    `Source SHA-256:   ${v(info.source.sha256)}`,
    `Recipe revision:  ${v(info.recipeRevision)}`,
    `Stamped at:       ${v(info.stampedAt)}`,
    `osmedia version:  ${v(info.osmediaVersion)}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}
