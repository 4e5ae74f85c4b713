// The workspace manifest: the one contract between steps. Every step reads it, does its work and
// writes a new one atomically. Format documented in docs/manifest.md.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readJson } from '../util/json.ts';

export const MANIFEST_SCHEMA_VERSION = 1;

export const ImageSchema = z.object({
  index: z.number().int().positive(),
  name: z.string(),
  description: z.string(),
  displayName: z.string(),
  editionId: z.string(),
  architecture: z.string(),
  languages: z.array(z.string()),
  defaultLanguage: z.string(),
  version: z.string(),
  installationType: z.string(),
  productType: z.string(),
  totalBytes: z.number(),
});

export const WimRecordSchema = z.object({
  path: z.string(),
  compression: z.string(),
  bootIndex: z.number().int(),
  images: z.array(ImageSchema),
});

export const FileEntrySchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mtimeMs: z.number(),
});

export const HistoryEntrySchema = z.object({
  step: z.string(),
  options: z.record(z.string(), z.unknown()),
  /** Hash of the options (and, for import, the source identity): what decides whether a re-run can skip. */
  optionsHash: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  result: z.enum(['succeeded', 'skipped', 'failed']),
  /** 'external' for steps that publish (distribute) rather than change the media. */
  effect: z.enum(['media', 'external']).default('media'),
  inputFingerprint: z.string(),
  outputFingerprint: z.string(),
  summary: z.record(z.string(), z.unknown()).default({}),
});

export const SourceSchema = z.object({
  path: z.string(),
  kind: z.enum(['iso', 'folder']),
  size: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  volumeLabel: z.string().optional(),
  installKind: z.enum(['wim', 'esd', 'swm']),
});

export const BuildFileSchema = z.object({ text: z.string(), json: z.string() });

export const ManifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  osmediaVersion: z.string(),
  source: SourceSchema,
  installWim: WimRecordSchema,
  bootWim: WimRecordSchema.optional(),
  files: z.array(FileEntrySchema),
  /** sha256 over every file's path, size and hash: the identity of the media tree. */
  fingerprint: z.string(),
  buildFile: BuildFileSchema.optional(),
  /** Updates applied per image (filled by apply-updates). */
  updates: z.array(z.record(z.string(), z.unknown())).default([]),
  /** The CA that signed the media's UEFI boot manager (efi/boot/bootx64.efi), as apply-updates last read it (docs/boot-media.md). */
  bootManager: z.object({ file: z.string(), ca: z.enum(['uefi-ca-2023', 'pca-2011', 'other', 'unsigned']), issuer: z.string().optional() }).optional(),
  /** WinRE's version before and after apply-updates last serviced it (taken from install.wim `from`). */
  winre: z.object({ from: z.string(), before: z.string(), after: z.string() }).optional(),
  history: z.array(HistoryEntrySchema),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type FileEntry = z.infer<typeof FileEntrySchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type WimRecord = z.infer<typeof WimRecordSchema>;
export type SourceRecord = z.infer<typeof SourceSchema>;

/** The identity of a media tree: changes when any file's path, size or content changes. */
export function fingerprintFiles(files: readonly FileEntry[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.sha256} ${file.size} ${file.path}\n`);
  }
  return hash.digest('hex');
}

/** A stable hash of a JSON value (object keys sorted), for comparing step options across runs. */
export function stableHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, canonical(x)]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, 16);
}

export async function readManifest(file: string): Promise<Manifest> {
  return readJson(file, ManifestSchema, {
    what: 'workspace manifest',
    fix: 'It was written by another osmedia version or edited by hand; re-create the workspace with `osmedia import-media --force`.',
    missingFix: 'Run `osmedia import-media --source … --workspace …` first.',
  });
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Replaces (or adds) file entries by path, keeping the list sorted. */
export function withFiles(files: readonly FileEntry[], changed: readonly FileEntry[], removed: readonly string[] = []): FileEntry[] {
  const map = new Map(files.map((f) => [f.path, f]));
  for (const path of removed) map.delete(path);
  for (const file of changed) map.set(file.path, file);
  return [...map.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
