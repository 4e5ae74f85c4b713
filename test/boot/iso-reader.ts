// Reads an ISO back the way Windows does, independently of the tools that wrote it: the Joliet
// tree (the supplementary volume descriptor with escape sequence %/@, %/C or %/E; UCS-2 names;
// ECMA-119 9.1 directory records, multi-extent files joined as 6.5.1 says) and the El Torito boot
// catalog (the boot record volume descriptor, validation entry, default entry, section headers).
import { open, type FileHandle } from 'node:fs/promises';

const SECTOR = 2048;

export interface IsoFile {
  size: number;
  extents: { lba: number; length: number }[];
}

export interface BootEntry {
  platform: number;
  noEmulation: boolean;
  sectorCount: number;
  lba: number;
}

async function read(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  await handle.read(buf, 0, length, position);
  return buf;
}

export interface IsoView {
  volumeId: string;
  jolietVolumeId: string;
  files: Map<string, IsoFile>;
  boot: BootEntry[];
  /** The last bytes of a file, read from its last extent. */
  readTail(path: string, bytes: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function readIso(iso: string): Promise<IsoView> {
  const handle = await open(iso, 'r');
  let pvd: Buffer | undefined;
  let joliet: Buffer | undefined;
  let bootRecord: Buffer | undefined;
  for (let sector = 16; sector < 64; sector++) {
    const vd = await read(handle, sector * SECTOR, SECTOR);
    if (vd.subarray(1, 6).toString('latin1') !== 'CD001') break;
    if (vd[0] === 255) break;
    if (vd[0] === 1) pvd = vd;
    if (vd[0] === 0 && vd.subarray(7, 30).toString('latin1') === 'EL TORITO SPECIFICATION') bootRecord = vd;
    const escape = vd.subarray(88, 91).toString('latin1');
    if (vd[0] === 2 && ['%/@', '%/C', '%/E'].includes(escape)) joliet = vd;
  }
  if (!pvd || !joliet) throw new Error('no primary or Joliet volume descriptor');
  const ucs2 = (b: Buffer) => Buffer.from(b).swap16().toString('utf16le');
  const files = new Map<string, IsoFile>();
  const walk = async (lba: number, length: number, prefix: string): Promise<void> => {
    const data = await read(handle, lba * SECTOR, length);
    let last: { name: string; file: IsoFile } | undefined;
    for (let at = 0; at < data.length;) {
      const len = data[at]!;
      if (len === 0) {
        at = (Math.floor(at / SECTOR) + 1) * SECTOR;
        continue;
      }
      const record = data.subarray(at, at + len);
      at += len;
      const nameLength = record[32]!;
      const rawName = record.subarray(33, 33 + nameLength);
      if (nameLength === 1 && (rawName[0] === 0 || rawName[0] === 1)) continue; // . and ..
      const name = ucs2(rawName).replace(/;1$/, '');
      const extent = { lba: record.readUInt32LE(2), length: record.readUInt32LE(10) };
      const flags = record[25]!;
      if (flags & 0x02) {
        await walk(extent.lba, extent.length, `${prefix}${name}/`);
        continue;
      }
      // A multi-extent file: every record but the last has flag 0x80; the records are consecutive.
      if (last && last.name === name) {
        last.file.extents.push(extent);
        last.file.size += extent.length;
      } else {
        last = { name, file: { size: extent.length, extents: [extent] } };
        files.set(`${prefix}${name}`, last.file);
      }
    }
  };
  const root = joliet.subarray(156, 190);
  await walk(root.readUInt32LE(2), root.readUInt32LE(10), '');
  const boot: BootEntry[] = [];
  if (bootRecord) {
    const catalog = await read(handle, bootRecord.readUInt32LE(0x47) * SECTOR, SECTOR);
    const entry = (at: number, platform: number): BootEntry => ({
      platform,
      noEmulation: catalog[at + 1] === 0,
      sectorCount: catalog.readUInt16LE(at + 6),
      lba: catalog.readUInt32LE(at + 8),
    });
    boot.push(entry(32, catalog[1]!));
    for (let at = 64; at + 64 <= catalog.length && (catalog[at] === 0x90 || catalog[at] === 0x91);) {
      const platform = catalog[at + 1]!;
      const count = catalog.readUInt16LE(at + 2);
      for (let i = 0; i < count; i++) boot.push(entry(at + 32 * (i + 1), platform));
      const final = catalog[at] === 0x91;
      at += 32 * (count + 1);
      if (final) break;
    }
  }
  return {
    volumeId: pvd.subarray(40, 72).toString('latin1').trim(),
    jolietVolumeId: ucs2(joliet.subarray(40, 72)).trim(),
    files,
    boot,
    async readTail(file: string, bytes: number) {
      const entry = files.get(file)!;
      const last = entry.extents.at(-1)!;
      return read(handle, last.lba * SECTOR + last.length - bytes, bytes);
    },
    close: () => handle.close(),
  };
}

/** The bytes of a boot image as the catalog points at them. */
export async function readBootImage(iso: string, entry: BootEntry, bytes: number): Promise<Buffer> {
  const handle = await open(iso, 'r');
  try {
    return await read(handle, entry.lba * SECTOR, bytes);
  } finally {
    await handle.close();
  }
}
