// The boot manager's CA as the manifest, the build file and the summaries record it.
import path from 'node:path';
import { z } from 'zod';
import { bootSignature, describeCa, type BootCa } from './authenticode.ts';

/** media.bootManager / --boot-manager: keep what the media carry (default), or switch to the 2023 boot manager. */
export const BootManagerSchema = z.enum(['2023', 'keep']).default('keep').meta({
  placeholder: 'WHICH',
  example: '2023',
  description:
    "UEFI boot manager: keep (default; media already on the Windows UEFI CA 2023 boot manager stay on it) or 2023 (switch to it from boot.wim index 1, as Microsoft's Make2023BootableMedia.ps1 does)",
  flag: 'boot-manager',
});

export interface BootManagerRecord {
  file: string;
  ca: BootCa;
  issuer?: string;
}

/** The UEFI boot managers at the media root (x64, ARM64, IA32): what firmware starts from a disc or USB stick. */
const MANAGERS = /^efi\/boot\/boot(x64|aa64|ia32)\.efi$/i;

/**
 * Reads the signer of the boot manager among `files` (media paths) under `dir`. With `as`, `files`
 * holds one staged file that will become that media path. Undefined when the media have none.
 */
export async function readBootManager(dir: string, files: readonly string[], as?: string): Promise<BootManagerRecord | undefined> {
  const file = as ? files[0] : files.find((p) => MANAGERS.test(p));
  if (!file) return undefined;
  const signature = await bootSignature(path.join(dir, ...file.split('/'))).catch(() => ({ ca: 'other' as const, issuer: undefined }));
  return { file: as ?? file, ca: signature.ca, ...(signature.issuer ? { issuer: signature.issuer } : {}) };
}

/** "Windows UEFI CA 2023 (efi/boot/bootx64.efi)", for the build file. */
export function describeBootManager(record: BootManagerRecord | undefined): string {
  if (!record) return 'none (no efi/boot/bootx64.efi)';
  return `${describeCa({ ca: record.ca, issuer: record.issuer })} (${record.file})`;
}
