// Reads the file version of a Windows PE file (exe, dll) from its version resource, the way
// Explorer's "File version" does: PE header → resource directory (.rsrc) → RT_VERSION →
// VS_VERSIONINFO → VS_FIXEDFILEINFO (signature 0xFEEF04BD, dwFileVersionMS/LS).
// Formats: Microsoft's PE format specification ("The .rsrc Section") and the VS_VERSIONINFO /
// VS_FIXEDFILEINFO structures (Win32 docs). Pure: bytes in, version out; no Windows API.

const RT_VERSION = 16;
const FIXED_SIGNATURE = 0xfeef04bd;

export interface PeVersion {
  /** "10.0.26100.2314" */
  version: string;
  build: number;
  revision: number;
}

interface Section {
  virtualAddress: number;
  virtualSize: number;
  rawOffset: number;
  rawSize: number;
}

function fail(reason: string): never {
  throw new Error(`not a PE file with a version resource: ${reason}`);
}

/** Reads the file version; throws naming what is missing. */
export function readPeVersion(bytes: Buffer): PeVersion {
  if (bytes.length < 64 || bytes.readUInt16LE(0) !== 0x5a4d) fail('no MZ header');
  const pe = bytes.readUInt32LE(0x3c);
  if (pe + 24 > bytes.length || bytes.readUInt32LE(pe) !== 0x00004550) fail('no PE signature');
  const sectionCount = bytes.readUInt16LE(pe + 6);
  const optionalSize = bytes.readUInt16LE(pe + 20);
  const optional = pe + 24;
  const magic = bytes.readUInt16LE(optional);
  // Data directories start at 96 (PE32) or 112 (PE32+); the resource table is entry 2.
  const directories = optional + (magic === 0x20b ? 112 : magic === 0x10b ? 96 : fail(`unknown optional header magic 0x${magic.toString(16)}`));
  const resourceRva = bytes.readUInt32LE(directories + 2 * 8);
  if (resourceRva === 0) fail('no resource table');
  const sections: Section[] = [];
  for (let i = 0, at = optional + optionalSize; i < sectionCount; i++, at += 40) {
    sections.push({
      virtualSize: bytes.readUInt32LE(at + 8),
      virtualAddress: bytes.readUInt32LE(at + 12),
      rawSize: bytes.readUInt32LE(at + 16),
      rawOffset: bytes.readUInt32LE(at + 20),
    });
  }
  const offsetOf = (rva: number): number => {
    const s = sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + Math.max(x.virtualSize, x.rawSize));
    if (!s) fail(`RVA 0x${rva.toString(16)} is in no section`);
    const offset = s.rawOffset + (rva - s.virtualAddress);
    if (offset >= bytes.length) fail('truncated');
    return offset;
  };
  const root = offsetOf(resourceRva);
  /** The entries of a resource directory: [id or name offset, target] (high bit of target: a subdirectory). */
  const entries = (dir: number): [number, number][] => {
    const count = bytes.readUInt16LE(dir + 12) + bytes.readUInt16LE(dir + 14);
    return Array.from({ length: count }, (_, i) => [bytes.readUInt32LE(dir + 16 + i * 8), bytes.readUInt32LE(dir + 20 + i * 8)] as [number, number]);
  };
  const sub = (target: number) => {
    if ((target & 0x80000000) === 0) fail('malformed resource directory');
    return root + (target & 0x7fffffff);
  };
  const type = entries(root).find(([id]) => id === RT_VERSION);
  if (!type) fail('no RT_VERSION resource');
  const name = entries(sub(type[1]))[0] ?? fail('empty RT_VERSION directory');
  const language = entries(sub(name[1]))[0] ?? fail('empty RT_VERSION language directory');
  if (language[1] & 0x80000000) fail('malformed RT_VERSION data entry');
  const dataEntry = root + language[1];
  const data = offsetOf(bytes.readUInt32LE(dataEntry));
  // VS_VERSIONINFO: wLength, wValueLength, wType, szKey "VS_VERSION_INFO\0" (UTF-16), padding to 32 bits, then the value.
  const key = bytes.toString('utf16le', data + 6, data + 6 + 30);
  if (key !== 'VS_VERSION_INFO') fail('RT_VERSION does not start with VS_VERSION_INFO');
  const fixed = (data + 6 + 32 + 3) & ~3;
  if (bytes.readUInt32LE(fixed) !== FIXED_SIGNATURE) fail('no VS_FIXEDFILEINFO');
  const ms = bytes.readUInt32LE(fixed + 8);
  const ls = bytes.readUInt32LE(fixed + 12);
  const parts = [ms >>> 16, ms & 0xffff, ls >>> 16, ls & 0xffff];
  return { version: parts.join('.'), build: parts[2]!, revision: parts[3]! };
}
