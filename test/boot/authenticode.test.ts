import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootSignature, bootSignatureOf, describeCa } from '../../src/media/boot/authenticode.ts';
import { minimalEfi, signedEfi } from './signed-pe.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'osmedia-authenticode-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Authenticode signer of a boot manager', () => {
  it('tells a Windows UEFI CA 2023 signature from a PCA 2011 one, by the signer certificate', async () => {
    const ca2023 = bootSignatureOf(await signedEfi(dir, 'Windows UEFI CA 2023'));
    expect(ca2023.ca).toBe('uefi-ca-2023');
    expect(ca2023.subject).toContain('CN=Microsoft Windows');
    expect(describeCa(ca2023)).toBe('Windows UEFI CA 2023');
    const pca2011 = bootSignatureOf(await signedEfi(dir, 'Microsoft Windows Production PCA 2011'));
    expect(pca2011.ca).toBe('pca-2011');
    expect(describeCa(pca2011)).toBe('Microsoft Windows Production PCA 2011');
  });

  it('reports another issuer as other, and an unsigned PE as unsigned', async () => {
    const other = bootSignatureOf(await signedEfi(dir, 'Contoso Test CA'));
    expect(other.ca).toBe('other');
    expect(describeCa(other)).toBe('other (Contoso Test CA)');
    expect(bootSignatureOf(minimalEfi()).ca).toBe('unsigned');
  });

  it('does not take a file name or a string in the file for a signature', async () => {
    // The CA name as text inside an unsigned PE, named like the 2023 boot manager: still unsigned.
    const file = path.join(dir, 'bootmgfw_EX.efi');
    await writeFile(file, minimalEfi('Windows UEFI CA 2023'));
    expect((await bootSignature(file)).ca).toBe('unsigned');
  });

  it('rejects a file that is not a PE with a clear message', () => {
    expect(() => bootSignatureOf(Buffer.from('placeholder: UEFI loader\r\n'))).toThrow(/not a PE file/);
  });
});
