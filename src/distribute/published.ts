// What a published copy carries: `osmedia-published.json` at its root lists every media file with
// its size, SHA-256 and mtime, so the copy can be proven to be the media the pipeline built
// (`osmedia verify`) and compared cheaply on the next publish.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FileEntrySchema, type Manifest } from '../media/manifest.ts';
import { MediaError } from '../util/errors.ts';

export const PUBLISHED_MANIFEST = 'osmedia-published.json';
export const CURRENT_POINTER = 'current.json';
/** `<build>.<UBR>-<first 8 hex digits of the media fingerprint>`, e.g. 26100.2314-1a2b3c4d. */
export const VERSION_PATTERN = /^\d+\.\d+-[0-9a-f]{8}$/;

export const PublishedSchema = z.object({
  schemaVersion: z.literal(1),
  version: z.string(),
  build: z.string(),
  fingerprint: z.string(),
  publishedAt: z.string(),
  osmediaVersion: z.string(),
  source: z.object({ path: z.string(), sha256: z.string() }),
  editions: z.array(z.object({ index: z.number(), name: z.string(), editionId: z.string() })),
  /** The updates applied to the media (apply-updates), as the workspace manifest records them. */
  updates: z.array(z.record(z.string(), z.unknown())).default([]),
  files: z.array(FileEntrySchema),
});
export type Published = z.infer<typeof PublishedSchema>;

export const CurrentSchema = z.object({
  version: z.string().regex(VERSION_PATTERN),
  build: z.string(),
  fingerprint: z.string(),
  publishedAt: z.string(),
  previous: z.string().nullable(),
});
export type Current = z.infer<typeof CurrentSchema>;

/** The version name of the media a manifest describes: content-addressed, so the same media is the same version. */
export function versionName(manifest: Manifest): string {
  const version = manifest.installWim.images[0]?.version ?? '0.0.0.0';
  const [, , build = '0', ubr = '0'] = version.split('.');
  return `${build}.${ubr}-${manifest.fingerprint.slice(0, 8)}`;
}

async function readJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = schema.safeParse(
    (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success) {
    throw new MediaError(`${file} is not a valid ${what}`, {
      fix: 'It was edited by hand or damaged; restore it from another target, or delete the folder it describes and publish again.',
    });
  }
  return parsed.data;
}

export function readPublished(dir: string): Promise<Published | undefined> {
  return readJsonFile(path.join(dir, PUBLISHED_MANIFEST), PublishedSchema, 'published-media manifest');
}

export function readCurrent(target: string): Promise<Current | undefined> {
  return readJsonFile(path.join(target, CURRENT_POINTER), CurrentSchema, 'current-version pointer');
}

export function publishedFrom(manifest: Manifest, version: string, osmediaVersion: string, now: Date): Published {
  return {
    schemaVersion: 1,
    version,
    build: manifest.installWim.images[0]?.version ?? 'unknown',
    fingerprint: manifest.fingerprint,
    publishedAt: now.toISOString(),
    osmediaVersion,
    source: { path: manifest.source.path, sha256: manifest.source.sha256 },
    editions: manifest.installWim.images.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId })),
    updates: manifest.updates,
    files: manifest.files,
  };
}
