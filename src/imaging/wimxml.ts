// Parses the XML that every WIM carries (`wimlib-imagex info --xml`, or the file DISM writes):
// the source of truth for an image's name, edition, architecture, languages and build.
import { xmlParser } from '../util/xml.ts';
import type { ImageInfo } from './types.ts';

const ARCHITECTURES: Record<string, string> = { '0': 'x86', '5': 'arm', '6': 'ia64', '9': 'x64', '12': 'arm64' };

const parser = xmlParser({
  trimValues: true,
  isArray: (name) => name === 'IMAGE' || name === 'LANGUAGE',
});

/** Decodes the raw XML bytes: UTF-16LE with a BOM, as WIMs store it, or UTF-8. */
export function decodeWimXml(raw: Uint8Array): string {
  const bytes = Buffer.from(raw);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}

type Node = Record<string, unknown>;

function text(node: unknown, key: string): string {
  if (!node || typeof node !== 'object') return '';
  const value = (node as Node)[key];
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') {
    const text = (value as Node)['#text'];
    return typeof text === 'string' || typeof text === 'number' ? String(text) : '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value); // numbers and booleans: as String() writes them
}

function child(node: unknown, key: string): Node | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const value = (node as Node)[key];
  return value && typeof value === 'object' ? (value as Node) : undefined;
}

export function architectureName(code: string): string {
  return ARCHITECTURES[code] ?? (code ? `unknown(${code})` : '');
}

/** Parses a WIM's XML document into its images, in index order. */
export function parseWimXml(xml: string): ImageInfo[] {
  const doc = parser.parse(xml) as Node;
  const wim = child(doc, 'WIM');
  if (!wim) throw new Error('not a WIM XML document: no <WIM> element');
  const images = (wim['IMAGE'] as Node[] | undefined) ?? [];
  return images
    .map((image): ImageInfo => {
      const windows = child(image, 'WINDOWS');
      const version = child(windows, 'VERSION');
      const languages = child(windows, 'LANGUAGES');
      const languageList = ((languages?.['LANGUAGE'] as unknown[] | undefined) ?? []).map((l) => String(typeof l === 'object' ? (l as Node)['#text'] : l));
      const part = (key: string) => text(version, key) || '0';
      return {
        index: Number(image['@INDEX']),
        name: text(image, 'NAME'),
        description: text(image, 'DESCRIPTION'),
        displayName: text(image, 'DISPLAYNAME'),
        editionId: text(windows, 'EDITIONID'),
        architecture: architectureName(text(windows, 'ARCH')),
        languages: languageList,
        defaultLanguage: text(languages, 'DEFAULT'),
        version: version ? `${part('MAJOR')}.${part('MINOR')}.${part('BUILD')}.${part('SPBUILD')}` : '',
        installationType: text(windows, 'INSTALLATIONTYPE'),
        productType: text(windows, 'PRODUCTTYPE'),
        totalBytes: Number(text(image, 'TOTALBYTES') || 0),
      };
    })
    .sort((a, b) => a.index - b.index);
}
