// The image list of an install.wim (or .esd, or the first .swm part) inside an ISO, read without
// extracting anything to disk: 7-Zip streams the one file to stdout, we read its 208-byte header,
// take the XML resource's offset and size from it, keep those bytes and stop 7-Zip there.
//
// Header layout (wimlib, include/wimlib/header.h, struct wim_header_disk): magic "MSWIM\0\0\0" at
// +0x00, header size (208) at +0x08, the XML data's resource header at +0x48. A resource header
// (wimlib, include/wimlib/resource.h, struct wim_reshdr_disk) is 24 bytes: size in the WIM (7 bytes,
// little endian), flags (1 byte; 0x04 = compressed), offset in the WIM (8), uncompressed size (8).
// The XML is stored uncompressed, UTF-16LE with a BOM, and wimlib and DISM write it after the
// images' data, so the stream is read up to there.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { MediaError } from '../util/errors.ts';
import type { ImageInfo } from './types.ts';
import { decodeWimXml, parseWimXml } from './wimxml.ts';

export const WIM_HEADER_SIZE = 208;
const RESHDR_COMPRESSED = 0x04;

export interface WimXmlLocation {
  offset: number;
  size: number;
}

/** Where the XML data is, from the first 208 bytes of a WIM; throws when they are not a WIM header. */
export function parseWimHeader(header: Buffer): WimXmlLocation {
  if (header.length < WIM_HEADER_SIZE || header.toString('latin1', 0, 8) !== 'MSWIM\0\0\0') throw new Error('not a WIM file (no MSWIM header)');
  const reshdr = header.subarray(0x48, 0x48 + 24);
  const size = reshdr.readUIntLE(0, 6) + reshdr[6]! * 2 ** 48;
  const flags = reshdr[7]!;
  const offset = Number(reshdr.readBigUInt64LE(8));
  if (flags & RESHDR_COMPRESSED) throw new Error('its XML data is compressed, which osmedia cannot read from a stream');
  if (size === 0 || offset < WIM_HEADER_SIZE) throw new Error('its header records no XML data');
  return { offset, size };
}

/**
 * Reads the XML of `inner` (e.g. sources/install.wim) inside `iso` through 7-Zip's stdout, and
 * parses its image list. Nothing is written to disk.
 */
export async function readImagesFromIso(sevenZip: string, iso: string, inner: string): Promise<ImageInfo[]> {
  const child = spawn(sevenZip, ['e', '-so', '-bd', iso, inner], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const fail = (why: string, cause?: unknown) =>
    new MediaError(`Cannot read the image list of ${inner} in ${iso}: ${why}`, {
      fix: 'Check that the ISO is Windows installation media and not damaged (compare its SHA-256 with the one Microsoft publishes).',
      cause,
    });
  const chunks: Buffer[] = [];
  let received = 0;
  let location: WimXmlLocation | undefined;
  let xml: Buffer | undefined;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      received += chunk.length;
      if (!location && received >= WIM_HEADER_SIZE) {
        location = parseWimHeader(Buffer.concat(chunks));
      }
      // Keep only what may still hold the XML: drop chunks that end before its offset.
      if (location) {
        let start = received - chunks.reduce((n, c) => n + c.length, 0);
        while (chunks.length > 1 && start + chunks[0]!.length <= location.offset) {
          start += chunks.shift()!.length;
        }
        if (received >= location.offset + location.size) {
          const all = Buffer.concat(chunks);
          xml = all.subarray(location.offset - start, location.offset - start + location.size);
          break;
        }
      }
    }
  } catch (error) {
    child.kill();
    await exited.catch(() => {});
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  child.kill();
  const code = await exited.catch((error: unknown) => {
    throw fail(`7-Zip could not be started (${(error as Error).message})`, error);
  });
  if (!xml) {
    if (location) throw fail('the file ends before its XML data');
    if (received > 0) throw fail('not a WIM file (no MSWIM header)');
    throw fail(`7-Zip gave no data (exit code ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''})`);
  }
  const images = parseWimXml(decodeWimXml(xml));
  if (images.length === 0) throw fail('its XML lists no images');
  return images;
}

/** The image list of a WIM file on disk (an extracted media folder): the header, then the XML, nothing else. */
export async function readImagesFromFile(file: string): Promise<ImageInfo[]> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(WIM_HEADER_SIZE);
    await handle.read(header, 0, WIM_HEADER_SIZE, 0);
    let location: WimXmlLocation;
    try {
      location = parseWimHeader(header);
    } catch (error) {
      throw new MediaError(`Cannot read the image list of ${file}: ${(error as Error).message}`, {
        fix: 'Check that the folder holds Windows installation media (sources/install.wim from a Microsoft ISO).',
        cause: error,
      });
    }
    const xml = Buffer.alloc(location.size);
    await handle.read(xml, 0, location.size, location.offset);
    return parseWimXml(decodeWimXml(xml));
  } finally {
    await handle.close();
  }
}
