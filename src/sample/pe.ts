// A minimal, valid PE32+ EFI application, laid out as the PE/COFF specification describes it (DOS
// header, "PE\0\0", COFF header, optional header with 16 data directories, one section). The sample
// media carry these in place of Microsoft's boot managers: real PE files, unsigned; the tests sign
// them (test/boot/signed-pe.ts) to check which CA a boot manager has.
/** A minimal, valid PE32+ image (subsystem 10, EFI application) with one 512-byte .text section. */
export function minimalEfi(marker = 'osmedia test EFI'): Buffer {
  const pe = Buffer.alloc(0x400);
  pe.writeUInt16LE(0x5a4d, 0); // MZ
  pe.writeUInt32LE(0x40, 0x3c); // e_lfanew
  pe.writeUInt32LE(0x00004550, 0x40); // PE\0\0
  const coff = 0x44;
  pe.writeUInt16LE(0x8664, coff); // AMD64
  pe.writeUInt16LE(1, coff + 2); // sections
  pe.writeUInt16LE(0xf0, coff + 16); // optional header size (PE32+ with 16 directories)
  pe.writeUInt16LE(0x0022, coff + 18); // executable, large address aware
  const opt = coff + 20;
  pe.writeUInt16LE(0x20b, opt); // PE32+
  pe.writeUInt32LE(0x200, opt + 4); // SizeOfCode
  pe.writeUInt32LE(0x1000, opt + 16); // AddressOfEntryPoint
  pe.writeUInt32LE(0x1000, opt + 20); // BaseOfCode
  pe.writeBigUInt64LE(0x10000000n, opt + 24); // ImageBase
  pe.writeUInt32LE(0x1000, opt + 32); // SectionAlignment
  pe.writeUInt32LE(0x200, opt + 36); // FileAlignment
  pe.writeUInt16LE(6, opt + 48); // subsystem version
  pe.writeUInt32LE(0x2000, opt + 56); // SizeOfImage
  pe.writeUInt32LE(0x200, opt + 60); // SizeOfHeaders
  pe.writeUInt16LE(10, opt + 68); // EFI application
  pe.writeBigUInt64LE(0x100000n, opt + 72);
  pe.writeBigUInt64LE(0x1000n, opt + 80);
  pe.writeBigUInt64LE(0x100000n, opt + 88);
  pe.writeBigUInt64LE(0x1000n, opt + 96);
  pe.writeUInt32LE(16, opt + 108); // NumberOfRvaAndSizes
  const section = opt + 0xf0;
  pe.write('.text', section, 'latin1');
  pe.writeUInt32LE(0x200, section + 8); // VirtualSize
  pe.writeUInt32LE(0x1000, section + 12); // VirtualAddress
  pe.writeUInt32LE(0x200, section + 16); // SizeOfRawData
  pe.writeUInt32LE(0x200, section + 20); // PointerToRawData
  pe.writeUInt32LE(0x60000020, section + 36); // code, execute, read
  pe[0x200] = 0xc3; // ret
  pe.write(marker, 0x210, 'utf8');
  return pe;
}
