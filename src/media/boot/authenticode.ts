// Which certificate authority signed a UEFI boot manager: the Authenticode signature embedded in a
// PE/EFI file, read without Windows. Microsoft moves boot media from boot managers signed under
// "Microsoft Windows Production PCA 2011" to ones signed under "Windows UEFI CA 2023" (KB5025885;
// Make2023BootableMedia.ps1 in microsoft/secureboot_objects, scripts/windows/), and devices that
// revoke PCA 2011 no longer start media with the old one. docs/boot-media.md explains the move.
//
// The path to the signer, per the PE/COFF specification ("The Attribute Certificate Table"):
//   DOS header e_lfanew → "PE\0\0" → optional header (PE32 0x10b / PE32+ 0x20b) → data directory 4,
//   the certificate table (a file offset, not an RVA) → WIN_CERTIFICATE { dwLength, wRevision,
//   wCertificateType 2 = PKCS#7 SignedData } → ContentInfo → SignedData (RFC 5652 §5.1) →
//   SignerInfo's IssuerAndSerialNumber → the certificate in SignedData.certificates it names.
import { X509Certificate } from 'node:crypto';
import { open } from 'node:fs/promises';

export type BootCa = 'uefi-ca-2023' | 'pca-2011' | 'other' | 'unsigned';

export interface BootSignature {
  ca: BootCa;
  /** The signer certificate's issuer and subject, as node:crypto prints them (one "K=V" per line). */
  issuer?: string;
  subject?: string;
}

/** The names of the two Microsoft CAs, as their common names read. */
export const CA_NAMES: Record<'uefi-ca-2023' | 'pca-2011', string> = {
  'uefi-ca-2023': 'Windows UEFI CA 2023',
  'pca-2011': 'Microsoft Windows Production PCA 2011',
};

interface Der {
  tag: number;
  /** Offset of the content, and its end. */
  start: number;
  end: number;
  /** Offset of the tag byte (for re-serialising a whole element). */
  header: number;
}

/** One DER element at offset: definite lengths only (Authenticode is DER). */
function readDer(buf: Buffer, offset: number): Der {
  if (offset + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[offset]!;
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[start + i]!;
    start += bytes;
  }
  if (start + length > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + length, header: offset };
}

function children(buf: Buffer, parent: Der): Der[] {
  const out: Der[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readDer(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

const SIGNED_DATA_OID = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]); // 1.2.840.113549.1.7.2

/** The PKCS#7 blob of the first WIN_CERTIFICATE, or undefined when the file carries none. */
function certificateTable(pe: Buffer): Buffer | undefined {
  if (pe.length < 0x40 || pe.readUInt16LE(0) !== 0x5a4d) throw new Error('not a PE file (no MZ header)');
  const peOffset = pe.readUInt32LE(0x3c);
  if (peOffset + 24 > pe.length || pe.readUInt32LE(peOffset) !== 0x00004550) throw new Error('not a PE file (no PE signature)');
  const optional = peOffset + 24;
  const magic = pe.readUInt16LE(optional);
  const directories = magic === 0x20b ? optional + 112 : magic === 0x10b ? optional + 96 : -1;
  if (directories < 0) throw new Error(`not a PE file (optional header magic 0x${magic.toString(16)})`);
  const count = pe.readUInt32LE(directories - 4);
  if (count < 5) return undefined;
  const tableOffset = pe.readUInt32LE(directories + 4 * 8);
  const tableSize = pe.readUInt32LE(directories + 4 * 8 + 4);
  if (tableOffset === 0 || tableSize < 8) return undefined;
  if (tableOffset + tableSize > pe.length) throw new Error('the certificate table runs past the end of the file');
  const length = pe.readUInt32LE(tableOffset);
  const type = pe.readUInt16LE(tableOffset + 6);
  if (type !== 2 || length < 8 || length > tableSize) return undefined; // 2 = WIN_CERT_TYPE_PKCS_SIGNED_DATA
  return pe.subarray(tableOffset + 8, tableOffset + length);
}

/** The signer certificate of a PKCS#7 SignedData (the one its first SignerInfo names). */
export function signerCertificate(pkcs7: Buffer): X509Certificate {
  const contentInfo = readDer(pkcs7, 0);
  const [oid, explicit] = children(pkcs7, contentInfo);
  if (!oid || oid.tag !== 0x06 || !pkcs7.subarray(oid.start, oid.end).equals(SIGNED_DATA_OID) || !explicit)
    throw new Error('the signature is not PKCS#7 SignedData');
  const signedData = readDer(pkcs7, explicit.start);
  const parts = children(pkcs7, signedData);
  const certs = parts.find((p) => p.tag === 0xa0);
  const signerInfos = parts.at(-1);
  if (!certs || !signerInfos || signerInfos.tag !== 0x31) throw new Error('the signature carries no certificates or no signer');
  const firstSigner = children(pkcs7, signerInfos)[0];
  if (!firstSigner) throw new Error('the signature has no signer');
  const sid = children(pkcs7, firstSigner)[1];
  if (!sid || sid.tag !== 0x30) throw new Error('the signer is not named by issuer and serial number');
  const serialDer = children(pkcs7, sid)[1]!;
  const serial = BigInt(`0x${pkcs7.subarray(serialDer.start, serialDer.end).toString('hex') || '0'}`);
  const all = children(pkcs7, certs).map((c) => new X509Certificate(pkcs7.subarray(c.header, c.end)));
  const signer = all.find((c) => BigInt(`0x${c.serialNumber}`) === serial);
  if (!signer) throw new Error('the signer certificate is not in the signature');
  return signer;
}

function commonName(dn: string): string | undefined {
  return dn
    .split('\n')
    .find((l) => l.startsWith('CN='))
    ?.slice(3);
}

/** Reads the signature of a PE/EFI file in memory. */
export function bootSignatureOf(pe: Buffer): BootSignature {
  const pkcs7 = certificateTable(pe);
  if (!pkcs7) return { ca: 'unsigned' };
  const signer = signerCertificate(pkcs7);
  const issuer = commonName(signer.issuer);
  const ca = issuer === CA_NAMES['uefi-ca-2023'] ? 'uefi-ca-2023' : issuer === CA_NAMES['pca-2011'] ? 'pca-2011' : 'other';
  return { ca, issuer: signer.issuer, subject: signer.subject };
}

/** Reads the signature of a PE/EFI file on disk (boot managers are about 2–3 MB). */
export async function bootSignature(file: string): Promise<BootSignature> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(size);
    await handle.read(buf, 0, size, 0);
    return bootSignatureOf(buf);
  } finally {
    await handle.close();
  }
}

/** The CA as people read it: "Windows UEFI CA 2023", "Microsoft Windows Production PCA 2011", … */
export function describeCa(signature: BootSignature): string {
  if (signature.ca === 'unsigned') return 'unsigned';
  if (signature.ca === 'other') return `other (${commonName(signature.issuer ?? '') ?? 'unknown issuer'})`;
  return CA_NAMES[signature.ca];
}
