// Writes a Microsoft Cabinet file without compression (typeCompress 0), laid out as the MS-CAB
// format specification describes: CFHEADER, one CFFOLDER, a CFFILE per file, then CFDATA blocks of
// up to 32 KiB. For sample packages with tens of thousands of entries, where gcab takes minutes.
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const BLOCK = 32 * 1024;

function dosDateTime(date: Date): { date: number; time: number } {
  return {
    date: ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
  };
}

async function filesOf(dir: string): Promise<{ name: string; full: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
    .map((full) => ({ full, name: path.relative(dir, full).split(path.sep).join('\\') }));
}

/** Writes `out` holding every file under `dir` (paths kept, '\\'-separated, dates from the files' mtimes). */
export async function writeStoredCab(dir: string, out: string): Promise<void> {
  const files = await filesOf(dir);
  if (files.length > 0xffff) throw new Error(`a cabinet holds at most 65,535 files, not ${files.length}`);
  const records: Buffer[] = [];
  let offset = 0;
  const sizes: number[] = [];
  for (const file of files) {
    const info = await stat(file.full);
    const { date, time } = dosDateTime(info.mtime);
    const name = Buffer.from(`${file.name}\0`, 'utf8');
    const record = Buffer.alloc(16);
    record.writeUInt32LE(info.size, 0);
    record.writeUInt32LE(offset, 4);
    record.writeUInt16LE(0, 8); // folder 0
    record.writeUInt16LE(date, 10);
    record.writeUInt16LE(time, 12);
    record.writeUInt16LE(0x20 | (/[^\x00-\x7f]/.test(file.name) ? 0x80 : 0), 14); // archive; UTF-8 name
    records.push(record, name);
    offset += info.size;
    sizes.push(info.size);
  }
  const total = offset;
  const blocks = Math.max(1, Math.ceil(total / BLOCK));
  if (blocks > 0xffff) throw new Error('too much data for one stored folder');
  const fileTable = Buffer.concat(records);
  const headerSize = 36 + 8;
  const dataStart = headerSize + fileTable.length;
  const cabSize = dataStart + blocks * 8 + total;
  const header = Buffer.alloc(headerSize);
  header.write('MSCF', 0, 'latin1');
  header.writeUInt32LE(cabSize, 8);
  header.writeUInt32LE(headerSize, 16); // coffFiles
  header.writeUInt8(3, 24);
  header.writeUInt8(1, 25);
  header.writeUInt16LE(1, 26); // one folder
  header.writeUInt16LE(files.length, 28);
  header.writeUInt32LE(dataStart, 36); // CFFOLDER.coffCabStart
  header.writeUInt16LE(blocks, 40);
  header.writeUInt16LE(0, 42); // no compression
  const handle = await open(out, 'w');
  try {
    await handle.write(Buffer.concat([header, fileTable]));
    // The folder's data is the files one after another, cut into blocks (checksum 0: none).
    let pending = Buffer.alloc(0);
    const flush = async (final: boolean) => {
      while (pending.length >= BLOCK || (final && pending.length > 0)) {
        const chunk = pending.subarray(0, BLOCK);
        const head = Buffer.alloc(8);
        head.writeUInt16LE(chunk.length, 4);
        head.writeUInt16LE(chunk.length, 6);
        await handle.write(Buffer.concat([head, chunk]));
        pending = pending.subarray(chunk.length);
      }
    };
    for (const file of files) {
      pending = Buffer.concat([pending, await readFile(file.full)]);
      await flush(false);
    }
    await flush(true);
    if (total === 0) await handle.write(Buffer.alloc(8));
  } finally {
    await handle.close();
  }
}
