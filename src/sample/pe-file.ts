// Writes a minimal but well-formed PE32+ file (x64) whose only section is .rsrc with a real
// version resource (VS_VERSIONINFO with VS_FIXEDFILEINFO, StringFileInfo and VarFileInfo), laid
// out as Microsoft's PE format specification describes. For sample Setup Dynamic Updates: Windows
// reads its "File version" the same way it reads setuphost.exe's. No code, never runnable.

/** One node of a version resource: wLength, wValueLength, wType, key, padding, value, children. */
function node(key: string, value: Buffer | string | undefined, children: Buffer[] = []): Buffer {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const text = typeof value === 'string';
  const valueBytes = value === undefined ? Buffer.alloc(0) : text ? Buffer.from(`${value}\0`, 'utf16le') : value;
  const head = Buffer.alloc(6);
  const body = Buffer.concat([pad(Buffer.concat([head, Buffer.from(`${key}\0`, 'utf16le')])), pad(valueBytes), ...children.map(pad)]);
  // wLength excludes the padding after the last child.
  const unpadded = children.length ? body.length - ((4 - (children.at(-1)!.length % 4)) % 4) : body.length - ((4 - (valueBytes.length % 4)) % 4);
  body.writeUInt16LE(unpadded, 0);
  body.writeUInt16LE(text ? valueBytes.length / 2 : valueBytes.length, 2);
  body.writeUInt16LE(text ? 1 : 0, 4);
  return body;
}

function versionInfo(version: string, fileName: string, dll: boolean): Buffer {
  const [a, b, c, d] = version.split('.').map(Number) as [number, number, number, number];
  const fixed = Buffer.alloc(52);
  const words = [0xfeef04bd, 0x00010000, (a << 16) | b, (c << 16) | d, (a << 16) | b, (c << 16) | d, 0x3f, 0, 0x40004, dll ? 2 : 1, 0, 0, 0];
  words.forEach((w, i) => fixed.writeUInt32LE(w >>> 0, i * 4));
  const strings = node('040904B0', undefined, [
    node('CompanyName', 'Microsoft Corporation'),
    node('FileDescription', fileName),
    node('FileVersion', `${version} (WinBuild.160101.0800)`),
    node('OriginalFilename', fileName),
    node('ProductName', 'Microsoft® Windows® Operating System'),
    node('ProductVersion', version),
  ]);
  const translation = Buffer.alloc(4);
  translation.writeUInt16LE(0x0409, 0);
  translation.writeUInt16LE(0x04b0, 2);
  return node('VS_VERSION_INFO', fixed, [node('StringFileInfo', undefined, [strings]), node('VarFileInfo', undefined, [node('Translation', translation)])]);
}

/** A PE32+ image for x64 with a version resource; `padding` bytes of zeros stand in for code. */
export function peFile(options: { version: string; fileName: string; padding?: number }): Buffer {
  const dll = /\.dll$/i.test(options.fileName);
  const info = versionInfo(options.version, options.fileName, dll);
  // .rsrc: root (type 16) → name 1 → language 0x409 → data entry → VS_VERSIONINFO at 0x58.
  const rsrc = Buffer.alloc(0x58 + info.length);
  const directory = (at: number, id: number, target: number) => {
    rsrc.writeUInt16LE(1, at + 14); // one id entry
    rsrc.writeUInt32LE(id, at + 16);
    rsrc.writeUInt32LE(target >>> 0, at + 20);
  };
  directory(0x00, 16, 0x80000000 | 0x18);
  directory(0x18, 1, 0x80000000 | 0x30);
  directory(0x30, 0x409, 0x48);
  const sectionRva = 0x1000;
  rsrc.writeUInt32LE(sectionRva + 0x58, 0x48);
  rsrc.writeUInt32LE(info.length, 0x4c);
  info.copy(rsrc, 0x58);
  const align = (n: number, to: number) => Math.ceil(n / to) * to;
  const rawSize = align(rsrc.length + (options.padding ?? 0), 0x200);

  const headers = Buffer.alloc(0x200);
  headers.write('MZ', 0, 'latin1');
  headers.writeUInt32LE(0x40, 0x3c);
  headers.write('PE\0\0', 0x40, 'latin1');
  const coff = 0x44;
  headers.writeUInt16LE(0x8664, coff); // AMD64
  headers.writeUInt16LE(1, coff + 2);
  headers.writeUInt16LE(240, coff + 16); // PE32+ optional header with 16 data directories
  headers.writeUInt16LE(dll ? 0x2022 : 0x0022, coff + 18);
  const opt = coff + 20;
  headers.writeUInt16LE(0x20b, opt);
  headers.writeBigUInt64LE(0x140000000n, opt + 24);
  headers.writeUInt32LE(0x1000, opt + 32); // SectionAlignment
  headers.writeUInt32LE(0x200, opt + 36); // FileAlignment
  headers.writeUInt16LE(10, opt + 40); // OS version 10.0
  headers.writeUInt16LE(10, opt + 48); // subsystem version 10.0
  headers.writeUInt32LE(sectionRva + align(rawSize, 0x1000), opt + 56); // SizeOfImage
  headers.writeUInt32LE(0x200, opt + 60); // SizeOfHeaders
  headers.writeUInt16LE(dll ? 3 : 2, opt + 68); // Windows GUI / console
  headers.writeUInt32LE(16, opt + 108);
  headers.writeUInt32LE(sectionRva, opt + 112 + 2 * 8); // resource table
  headers.writeUInt32LE(rsrc.length, opt + 112 + 2 * 8 + 4);
  const section = opt + 240;
  headers.write('.rsrc', section, 'latin1');
  headers.writeUInt32LE(rsrc.length, section + 8);
  headers.writeUInt32LE(sectionRva, section + 12);
  headers.writeUInt32LE(rawSize, section + 16);
  headers.writeUInt32LE(0x200, section + 20);
  headers.writeUInt32LE(0x40000040, section + 36); // initialized data, readable
  return Buffer.concat([headers, rsrc, Buffer.alloc(rawSize - rsrc.length)]);
}
