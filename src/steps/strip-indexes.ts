// strip-indexes: keep only the chosen editions in install.wim. The kept images are exported into a
// new WIM beside the workspace media, verified, and only then swapped in.
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { ImageInfo } from '../imaging/types.ts';
import { fingerprintFiles, withFiles, type Manifest } from '../media/manifest.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { faultPoint } from '../util/fault.ts';
import { formatBytes } from '../util/events.ts';
import { hashFile } from '../util/fs.ts';
import { check } from './preflight.ts';
import { engineField, list } from './fields.ts';
import type { Problem, Step } from './types.ts';

export const StripOptionsSchema = z.strictObject({
  /** EditionID (case-insensitive), exact image name, or 1-based index. */
  keep: list(z.union([z.string().trim().min(1), z.number().int().positive().transform(String)]), 'at least one selector (EditionID, image name or index)').meta(
    {
      flag: 'keep',
      short: 'k',
      placeholder: 'SELECTOR',
      example: 'Enterprise',
      commaList: true,
      description: 'editions to keep: an EditionID (Enterprise), an exact image name, or a 1-based index; repeatable or comma-separated',
    },
  ),
});

/** Flags of the strip-indexes command that are not step options. */
export const StripFlags = z.object({ engine: engineField() });
export type StripOptions = z.infer<typeof StripOptionsSchema>;

/** A table of the images, for error messages and `inspect`. */
export function describeImages(images: readonly ImageInfo[]): string {
  return images.map((i) => `  ${String(i.index).padStart(2)}  ${i.name}  [${i.editionId || 'no EditionID'}]  ${i.version}`).join('\n');
}

/**
 * Resolves selectors to images, in the WIM's own order. Each selector must match something:
 * a typo must not quietly drop an edition from the media 50,000 clients upgrade from.
 * Precedence per selector: index, then exact name, then EditionID (case-insensitive).
 */
export function selectImages(images: readonly ImageInfo[], selectors: readonly string[]): ImageInfo[] {
  const chosen = new Set<number>();
  const unmatched: string[] = [];
  for (const selector of selectors) {
    let matches: ImageInfo[];
    if (/^\d+$/.test(selector)) matches = images.filter((i) => i.index === Number(selector));
    else {
      matches = images.filter((i) => i.name === selector);
      if (matches.length === 0) matches = images.filter((i) => i.editionId.toLowerCase() === selector.toLowerCase());
    }
    if (matches.length === 0) unmatched.push(selector);
    for (const match of matches) chosen.add(match.index);
  }
  if (unmatched.length > 0) {
    throw new UsageError(`No image in install.wim matches ${unmatched.map((s) => `"${s}"`).join(', ')}. Available images:\n${describeImages(images)}`, {
      fix: 'Use an EditionID (e.g. Enterprise), an exact image name, or an index from the list above.',
    });
  }
  return images.filter((i) => chosen.has(i.index));
}

/** Normalises `--keep a,b --keep c` into one list. */
export function splitSelectors(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

type ImageRef = { index: number; name: string; editionId: string };
export type StripSummary = { kept: ImageRef[]; removed: ImageRef[]; bytesBefore?: number; bytesAfter?: number; bytesSaved: number };

export const stripIndexes: Step<StripOptions, string[], StripSummary> = {
  id: 'strip-indexes',
  title: 'Stripping install.wim to the kept editions',
  schema: StripOptionsSchema,

  /** Every selector names an image of the media (read from the ISO when it is still to be imported). */
  async preflight(_context, before, options) {
    const problems: Problem[] = [];
    if (!before.images) return { problems };
    const images = before.images;
    const kept = await check('strip-indexes', problems, () => selectImages(images, options.keep));
    // The export renumbers the kept images from 1, in the WIM's order.
    return { problems, after: kept ? { images: kept.map((image, k) => ({ ...image, index: k + 1 })) } : {} };
  },

  plan(manifest, options) {
    if (!manifest) return [`keep ${options.keep.join(', ')} in install.wim`];
    const kept = selectImages(manifest.installWim.images, options.keep);
    const removed = manifest.installWim.images.filter((i) => !kept.includes(i));
    return [...kept.map((i) => `keep   ${i.index}: ${i.name} [${i.editionId}]`), ...removed.map((i) => `remove ${i.index}: ${i.name} [${i.editionId}]`)];
  },

  async apply(context, manifest, options) {
    const { workspace, reporter, engine } = context;
    const wimPath = workspace.media(manifest.installWim.path);
    // The runner has checked that install.wim is the file the manifest describes (size and mtime),
    // so its images are the manifest's: no need to read the WIM again before exporting.
    const current = manifest.installWim;
    const kept = selectImages(current.images, options.keep);
    const before = (await stat(wimPath)).size;
    if (kept.length === current.images.length) {
      const message = `all ${kept.length} image(s) kept; install.wim unchanged`;
      reporter.emit({ type: 'info', step: 'strip-indexes', message });
      return { manifest, summary: { kept: kept.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId })), removed: [], bytesSaved: 0 }, message };
    }

    const temp = await workspace.tempPath('install.wim');
    reporter.emit({
      type: 'info',
      step: 'strip-indexes',
      message: `exporting ${kept.length} of ${current.images.length} image(s) with ${engine.name}: ${kept.map((i) => i.name).join(', ')}`,
    });
    await engine.exportImages(
      wimPath,
      kept.map((i) => i.index),
      temp,
      {
        logDir: workspace.logsDir,
        onProgress: (s) => reporter.emit({ type: 'progress', step: 'strip-indexes', phase: 'exporting', done: s.done, total: s.total, unit: s.unit }),
      },
    );

    faultPoint('strip-exported');
    // Verify before anything is replaced: same count, names, editions and builds, in order.
    const result = await engine.info(temp);
    const expected = kept.map((i) => `${i.name}|${i.editionId}|${i.version}`);
    const actual = result.images.map((i) => `${i.name}|${i.editionId}|${i.version}`);
    if (expected.join('\n') !== actual.join('\n')) {
      throw new MediaError(`The exported install.wim does not hold the expected images (expected ${expected.join(', ')}; got ${actual.join(', ')})`, {
        fix: 'Nothing was replaced. Check the tool log in .osmedia/logs and re-run.',
      });
    }
    let hashed = 0;
    const after = (await stat(temp)).size;
    const sha256 = await hashFile(temp, (bytes) => {
      hashed += bytes;
      reporter.emit({ type: 'progress', step: 'strip-indexes', phase: 'hashing', done: hashed, total: after, unit: 'bytes' });
    });
    const info = await stat(temp);
    const files = withFiles(manifest.files, [{ path: manifest.installWim.path, size: after, sha256, mtimeMs: Math.trunc(info.mtimeMs) }]);
    const next: Manifest = {
      ...manifest,
      installWim: { ...manifest.installWim, compression: result.compression, images: result.images },
      files,
      fingerprint: fingerprintFiles(files),
    };
    const removed = current.images.filter((i) => !kept.includes(i));
    const saved = before - after;
    return {
      manifest: next,
      renames: [{ from: temp, to: wimPath }],
      summary: {
        kept: kept.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId })),
        removed: removed.map((i) => ({ index: i.index, name: i.name, editionId: i.editionId })),
        bytesBefore: before,
        bytesAfter: after,
        bytesSaved: saved,
      },
      message: `kept ${kept.map((i) => i.editionId || i.name).join(', ')}; removed ${removed.length} image(s); saved ${formatBytes(saved)}`,
    };
  },
};
