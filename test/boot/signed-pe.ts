// Test fixture: real Authenticode signatures, made in the test. A minimal PE32+ EFI application
// (as the PE/COFF specification lays it out: DOS header, "PE\0\0", COFF header, optional header
// with 16 data directories, one section) is signed with osslsigncode by a leaf certificate whose
// issuer is a test CA named like Microsoft's: "Windows UEFI CA 2023" or
// "Microsoft Windows Production PCA 2011". Nothing here is Microsoft's; only the names match.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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

export type TestCa = 'Windows UEFI CA 2023' | 'Microsoft Windows Production PCA 2011' | 'Contoso Test CA';

const openssl = (args: string[], cwd: string) => run('openssl', args, { cwd });

/** A CA named `caName` and a leaf "Microsoft Windows" it issued, in dir; returns the leaf's files. */
async function chain(dir: string, caName: TestCa): Promise<{ cert: string; key: string; ca: string }> {
  const slug = caName.replace(/\W+/g, '-');
  const base = path.join(dir, slug);
  await mkdir(base, { recursive: true });
  const subj = (cn: string) => `/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/CN=${cn}`;
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', subj(caName)], base);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', subj('Microsoft Windows')], base);
  await writeFile(path.join(base, 'ext.cnf'), 'extendedKeyUsage=codeSigning\nbasicConstraints=CA:FALSE\n');
  await openssl(
    ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-extfile', 'ext.cnf'],
    base,
  );
  return { cert: path.join(base, 'leaf.pem'), key: path.join(base, 'leaf.key'), ca: path.join(base, 'ca.pem') };
}

const chains = new Map<string, Promise<{ cert: string; key: string; ca: string }>>();

/** A PE/EFI file signed under the named CA (the chain is made once per folder and CA). */
export async function signedEfi(dir: string, caName: TestCa, marker?: string): Promise<Buffer> {
  const key = `${dir}|${caName}`;
  if (!chains.has(key)) chains.set(key, chain(dir, caName));
  const leaf = await chains.get(key)!;
  const unsigned = path.join(dir, `unsigned-${process.hrtime.bigint()}.efi`);
  const signed = `${unsigned}.signed`;
  await writeFile(unsigned, minimalEfi(marker ?? caName));
  await run('osslsigncode', ['sign', '-certs', leaf.cert, '-ac', leaf.ca, '-key', leaf.key, '-h', 'sha256', '-in', unsigned, '-out', signed]);
  return readFile(signed);
}
