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

/** One line per update, with where it went: "KB5046617 (cumulative update: install.wim:1, boot.wim:1)". */
function updateLines(updates: readonly Record<string, unknown>[]): string[] {
  const groups = new Map<string, { kind: string; targets: string[] }>();
  for (const update of updates) {
    const key = String(update['kb'] || update['identity'] || update['file'] || '?');
    const group = groups.get(key) ?? { kind: String(update['kind'] ?? ''), targets: [] };
    if (update['target'] && !group.targets.includes(String(update['target']))) group.targets.push(String(update['target']));
    groups.set(key, group);
  }
  return [...groups].map(([key, g]) => `  ${key} (${KIND_TITLES[g.kind as UpdateKind] ?? g.kind}${g.targets.length ? `: ${g.targets.join(', ')}` : ''})`);
}

/** The plain-text twin, for people. Windows line endings: it is read with Notepad on endpoints. */
export function renderBuildText(info: BuildInfo): string {
  const lines = [
    'osmedia build information',
    '=========================',
    `OS build:         ${info.build}`,
    `Architecture:     ${info.architecture}`,
    `Languages:        ${info.languages.join(', ')}`,
    `Editions:`,
    ...info.editions.map((e) => `  ${e.index}: ${e.name} [${e.editionId}] ${e.version}`),
    `Updates applied:  ${info.updates.length === 0 ? 'none' : ''}`,
    ...updateLines(info.updates),
    `Boot manager:     ${info.bootManager}`,
    `Volume label:     ${info.volumeLabel ?? '(none)'}`,
    `Source:           ${info.source.path} (${info.source.kind})`,
    `Source SHA-256:   ${info.source.sha256}`,
    `Recipe revision:  ${info.recipeRevision}`,
    `Stamped at:       ${info.stampedAt}`,
    `osmedia version:  ${info.osmediaVersion}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}
