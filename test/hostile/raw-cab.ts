// Writes an uncompressed Microsoft Cabinet byte for byte, with entry names exactly as given (gcab
// and makecab clean names up; an attacker's tool does not). Format: [MS-CAB] "Cabinet File Format",
// https://learn.microsoft.com/en-us/previous-versions/bb417343(v=msdn.10): CFHEADER (36 bytes),
// one CFFOLDER (8 bytes, typeCompress 0 = none), CFFILE records (16 bytes + NUL-terminated name),
// then CFDATA blocks (8-byte header, at most 32768 bytes each; csum 0 means "not computed").
import { writeFile } from 'node:fs/promises';

export interface RawEntry {
  name: string;
  data: string | Buffer;
}

const BLOCK = 32768;

export function rawCab(entries: readonly RawEntry[]): Buffer {
  const datas = entries.map((e) => (typeof e.data === 'string' ? Buffer.from(e.data) : e.data));
  const names = entries.map((e) => Buffer.from(`${e.name}\0`, 'utf8'));
  const payload = Buffer.concat(datas);
  const blocks: Buffer[] = [];
  for (let at = 0; at < payload.length || blocks.length === 0; at += BLOCK) blocks.push(payload.subarray(at, at + BLOCK));
  const filesOffset = 36 + 8;
  const filesSize = names.reduce((sum, n) => sum + 16 + n.length, 0);
  const dataOffset = filesOffset + filesSize;
  const total = dataOffset + blocks.reduce((sum, b) => sum + 8 + b.length, 0);
  const out = Buffer.alloc(total);
  out.write('MSCF', 0, 'latin1');
  out.writeUInt32LE(total, 8);
  out.writeUInt32LE(filesOffset, 16);
  out.writeUInt8(3, 24); // versionMinor
  out.writeUInt8(1, 25); // versionMajor
  out.writeUInt16LE(1, 26); // cFolders
  out.writeUInt16LE(entries.length, 28); // cFiles
  out.writeUInt16LE(0x1234, 32); // setID
  out.writeUInt32LE(dataOffset, 36); // CFFOLDER.coffCabStart
  out.writeUInt16LE(blocks.length, 40); // cCFData
  out.writeUInt16LE(0, 42); // typeCompress: none
  let at = filesOffset;
  let offset = 0;
  const date = ((2024 - 1980) << 9) | (11 << 5) | 1;
  for (const [i, name] of names.entries()) {
    out.writeUInt32LE(datas[i]!.length, at); // cbFile
    out.writeUInt32LE(offset, at + 4); // uoffFolderStart
    out.writeUInt16LE(0, at + 8); // iFolder
    out.writeUInt16LE(date, at + 10);
    out.writeUInt16LE(12 << 11, at + 12);
    out.writeUInt16LE(0x20 | 0x80, at + 14); // archive, name is UTF-8
    name.copy(out, at + 16);
    at += 16 + name.length;
    offset += datas[i]!.length;
  }
  for (const block of blocks) {
    out.writeUInt16LE(block.length, at + 4);
    out.writeUInt16LE(block.length, at + 6);
    block.copy(out, at + 8);
    at += 8 + block.length;
  }
  return out;
}

export async function writeRawCab(file: string, entries: readonly RawEntry[]): Promise<string> {
  await writeFile(file, rawCab(entries));
  return file;
}

/**
 * A POSIX ustar archive, names and link targets exactly as given (a hostile "Setup DU" can be any
 * format 7-Zip opens; 7-Zip picks the format from the content, not the .cab name). Format: POSIX.1
 * pax/ustar header, 512-byte blocks: name[100], mode[8], uid[8], gid[8], size[12], mtime[12],
 * chksum[8], typeflag ('0' file, '2' symlink), linkname[100], "ustar\0" "00".
 */
export function rawTar(entries: readonly (RawEntry & { symlink?: string })[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.symlink !== undefined ? Buffer.alloc(0) : typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    const header = Buffer.alloc(512);
    const field = (text: string, at: number, width: number) => header.write(text, at, width, 'utf8');
    const octal = (n: number, at: number, width: number) => field(`${n.toString(8).padStart(width - 1, '0')}\0`, at, width);
    field(entry.name, 0, 100);
    octal(0o644, 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(data.length, 124, 12);
    octal(1730419200, 136, 12);
    header.fill(' ', 148, 156);
    field(entry.symlink !== undefined ? '2' : '0', 156, 1);
    if (entry.symlink !== undefined) field(entry.symlink, 157, 100);
    field('ustar\0', 257, 6);
    field('00', 263, 2);
    const sum = header.reduce((a, b) => a + b, 0);
    field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
