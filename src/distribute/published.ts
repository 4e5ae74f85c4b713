// What a published copy carries: `osmedia-published.json` at its root lists every media file with
// its size, SHA-256 and mtime, so the copy can be proven to be the media the pipeline built
// (`osmedia verify`) and compared cheaply on the next publish.
import path from 'node:path';
import { z } from 'zod';
import { FileEntrySchema, stableHash, type Manifest } from '../media/manifest.ts';
import { readJsonIfExists } from '../util/json.ts';

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
  /** What made the media: the source and each media step's identity (inputsKey); absent before osmedia recorded it. */
  inputs: z.string().optional(),
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

const PUBLISHED_FIX = 'It was edited by hand or damaged; restore it from another target, or delete the folder it describes and publish again.';

export function readPublished(dir: string): Promise<Published | undefined> {
  return readJsonIfExists(path.join(dir, PUBLISHED_MANIFEST), PublishedSchema, { what: 'published-media manifest', fix: PUBLISHED_FIX });
}

export function readCurrent(target: string): Promise<Current | undefined> {
  return readJsonIfExists(path.join(target, CURRENT_POINTER), CurrentSchema, { what: 'current-version pointer', fix: PUBLISHED_FIX });
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
    inputs: inputsKey(manifest),
    files: manifest.files,
  };
}

/**
 * The identity of what made the media: the source's SHA-256 and, in order, each media step with
 * the hash of its inputs (the same hashes that decide a skip). A rebuild from the same inputs
 * (`osmedia run --force`) has the same key, though its bytes differ (a WIM export writes a new GUID
 * and times, the build file its stamp time).
 */
export function inputsKey(manifest: Manifest): string {
  const chain = manifest.history.filter((e) => e.result === 'succeeded' && e.effect === 'media').map((e) => [e.step, e.optionsHash]);
  return stableHash({ source: manifest.source.sha256, chain });
}

/**
 * The current version of a versioned target when it was made from the same inputs as this media:
 * identical content gets the same version, so a forced rebuild never publishes a duplicate (issue 17.15).
 */
export async function equivalentPublished(manifest: Manifest, target: string, layout: 'versioned' | 'mirror' = 'versioned'): Promise<Published | undefined> {
  let published: Published | undefined;
  if (layout === 'mirror') {
    // A mirror keeps its osmedia-published.json at its root: media rebuilt from the same inputs is what it holds.
    published = await readPublished(target).catch(() => undefined);
    if (published?.fingerprint === manifest.fingerprint) return undefined;
  } else {
    const current = await readCurrent(target).catch(() => undefined);
    if (!current || current.version === versionName(manifest)) return undefined;
    published = await readPublished(path.join(target, current.version)).catch(() => undefined);
  }
  return published?.inputs !== undefined && published.inputs === inputsKey(manifest) ? published : undefined;
}
