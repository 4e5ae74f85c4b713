// The install.wim image list of a source (an ISO, or an extracted media folder), read without
// extracting or copying anything: for the checks `osmedia plan` and the start of `osmedia run` make
// before the media is imported (src/steps/import-media.ts, preflight).
import path from 'node:path';
import type { SevenZip } from '../imaging/sevenzip.ts';
import type { ImageInfo } from '../imaging/types.ts';
import { readImagesFromFile } from '../imaging/wim-header.ts';
import { MediaError } from '../util/errors.ts';
import { listTree } from '../util/fs.ts';
import { detectLayout } from './layout.ts';

/** The images of the source's install.wim (or .esd, or first .swm part); MediaError when it is not Windows media. */
export async function sourceImages(source: string, isFolder: boolean, sevenZip: SevenZip): Promise<ImageInfo[]> {
  if (isFolder) {
    const layout = detectLayout(
      (await listTree(source)).map((f) => f.path),
      source,
    );
    return readImagesFromFile(path.join(source, ...layout.installParts[0]!.split('/')));
  }
  const listing = await sevenZip.list(source);
  if (listing.type !== 'Udf' && listing.type !== 'Iso')
    throw new MediaError(`${source} is a ${listing.type} archive, not a disc image`, { fix: 'Pass a Windows ISO, or a folder extracted from one.' });
  const layout = detectLayout(
    listing.entries.filter((e) => !e.folder).map((e) => e.path),
    source,
  );
  return sevenZip.wimImages(source, layout.installParts[0]!);
}
