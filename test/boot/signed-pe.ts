// Test fixture: real Authenticode signatures, made in the test. A minimal PE32+ EFI application
// (as the PE/COFF specification lays it out: DOS header, "PE\0\0", COFF header, optional header
// with 16 data directories, one section) is signed with osslsigncode by a leaf certificate whose
// issuer is a test CA named like Microsoft's: "Windows UEFI CA 2023" or
// "Microsoft Windows Production PCA 2011". Nothing here is Microsoft's; only the names match.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { minimalEfi } from '../../src/sample/pe.ts';

export { minimalEfi };

const run = promisify(execFile);

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
