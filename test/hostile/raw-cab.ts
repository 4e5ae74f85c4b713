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
