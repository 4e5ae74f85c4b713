// The image list read from an ISO without extracting it (the plan's checks): install.wim, .esd and
// the first .swm part of real sample media, compared with what wimlib reads from the extracted file.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SevenZip } from '../../src/imaging/sevenzip.ts';
import { parseWimHeader, readImagesFromFile, readImagesFromIso } from '../../src/imaging/wim-header.ts';
import { sevenZipPath } from '../../src/imaging/sevenzip.ts';
import { WimlibEngine } from '../../src/imaging/wimlib.ts';
import { MediaError } from '../../src/util/errors.ts';
import { sampleMedia } from '../helpers.ts';

describe('the image list of a WIM inside an ISO', () => {
  for (const [kind, inner] of [
    ['wim', 'sources/install.wim'],
    ['esd', 'sources/install.esd'],
    ['swm', 'sources/install.swm'],
  ] as const) {
    it(`reads install.${kind} through 7-Zip's stdout, as wimlib reads the extracted file`, async () => {
      const sample = await sampleMedia(kind === 'wim' ? {} : { installKind: kind, ...(kind === 'swm' ? { splitMiB: 1 } : {}) });
      const fromIso = await new SevenZip().wimImages(sample.isoPath!, inner);
      const extracted = path.join(sample.mediaDir, ...inner.split('/'));
      const expected = (await new WimlibEngine().info(extracted)).images;
      expect(fromIso).toEqual(expected);
      expect(await readImagesFromFile(extracted)).toEqual(expected);
      expect(fromIso.map((i) => i.editionId)).toEqual(['Education', 'Enterprise', 'Professional', 'ProfessionalEducation']);
    });
  }

  it('names the file when it is not a WIM', async () => {
    const sample = await sampleMedia();
    const error = await readImagesFromIso(sevenZipPath(), sample.isoPath!, 'setup.exe').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as Error).message).toMatch(/Cannot read the image list of setup\.exe in .*\.iso: not a WIM file/);
    expect(() => parseWimHeader(Buffer.alloc(208))).toThrow(/not a WIM file/);
  });
});
