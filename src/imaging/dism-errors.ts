// DISM's error codes, decoded into what happened and what to do. Sources: the DISM failure table
// in ../shared/reference/prior-art-media-servicing.md (issue threads and Microsoft's docs).

export interface DismErrorInfo {
  code: string;
  meaning: string;
  fix: string;
}

const TABLE: Record<string, Omit<DismErrorInfo, 'code'>> = {
  '0x800f081e': {
    meaning: 'the package is not applicable to this image (another build, architecture or edition, or already superseded)',
    fix: 'Check that the update is for this build and architecture (the plan shows both); remove it from the updates folder if it does not belong.',
  },
  '0x800f0823': {
    meaning: 'the package needs a newer servicing stack first (CBS_E_NEW_SERVICING_STACK_REQUIRED)',
    fix: "Add the servicing stack update (the SSU-*.cab of this month's cumulative update MSU) to the updates folder, so the plan adds it before this package.",
  },
  '0x800f0998': { meaning: 'the package needs a newer servicing stack first', fix: "Add this month's servicing stack update to the updates folder." },
  '0x8007007e': {
    meaning:
      "a combined cumulative update was added to WinRE/WinPE: the servicing stack part applied, the rest did not (a known case in Microsoft's sample script)",
    fix: 'WinRE takes the SSU and the Safe OS DU, not the LCU: check that the Safe OS DU is in the updates folder.',
  },
  '0x80073712': {
    meaning: 'the component store is missing something the package needs; for WinPE this is the checkpoint KB5043080 added to an image already past 26100.1742',
    fix: 'Start again from pristine media (osmedia run --force); osmedia leaves KB5043080 out for WinPE that is newer.',
  },
  '0xc1420127': {
    meaning: 'the image is already mounted (a stale mount left by an interrupted run)',
    fix: 'Run again: osmedia discards its own stale mounts first. If another tool holds it, run `dism /Get-MountedWimInfo` and `dism /Unmount-Image /MountDir:<dir> /Discard`, then `dism /Cleanup-Mountpoints`.',
  },
  '0xc1420117': {
    meaning: 'the mount folder could not be unmounted completely: a program still has files open in it',
    fix: 'Exclude the scratch folder from antivirus scanning and indexing, close Explorer windows on it, and run again.',
  },
  '0xc142010c': {
    meaning: 'the mount is in an invalid state (a commit or unmount failed earlier)',
    fix: 'Run `dism /Cleanup-Mountpoints` (osmedia does before each run) and start again.',
  },
  '0xc1510111': {
    meaning: 'no permission to mount and modify this image (read-only file or Controlled Folder Access)',
    fix: "Run the runner's service as an administrator and exclude the workspace from Controlled Folder Access.",
  },
  '0x80070032': {
    meaning: 'the mount folder is on a file system that does not support servicing (Data Deduplication, ReFS, a network share)',
    fix: 'Put the workspace and --scratch on a local NTFS disk without deduplication.',
  },
  '0x800f0806': {
    meaning: 'the operation cannot run because of pending operations in the image (often component cleanup after .NET 3.5 or optional components were added)',
    fix: 'Keep .NET 3.5 and optional components after component cleanup (the plan does); start again from pristine media.',
  },
  '0x800f081f': {
    meaning: 'the source files could not be found (a checkpoint CU missing beside the LCU, or NetFx3 without sources/sxs)',
    fix: 'Put the checkpoint MSUs named in the plan in the updates folder; for .NET 3.5, the media must carry sources/sxs.',
  },
  '0x800f0830': {
    meaning: 'the image is no longer serviceable after a failed update',
    fix: 'Start again from pristine media (osmedia run --force); osmedia never commits the damaged image.',
  },
  '0x8007007f': { meaning: 'the image is no longer serviceable after a failed update', fix: 'Start again from pristine media (osmedia run --force).' },
  '0x8007371b': {
    meaning: 'a required member of the update transaction is missing (ERROR_SXS_TRANSACTION_CLOSURE_INCOMPLETE)',
    fix: 'Add .NET 3.5 before the .NET CU (the plan does), and use the full MSUs from the Microsoft Update Catalog.',
  },
  '0x80070228': {
    meaning: 'DISM tried to download a checkpoint cumulative update',
    fix: 'Put every checkpoint MSU the plan names in the updates folder beside the LCU.',
  },
  '0x80300013': { meaning: 'an online-only express or baseless payload', fix: 'Use the full MSU from the Microsoft Update Catalog.' },
  '0x800f0805': { meaning: 'the package is not a valid Windows package', fix: 'Download the update again from the Microsoft Update Catalog.' },
  '0x80070070': { meaning: 'the disk is full', fix: 'Free space on the disk of the workspace and --scratch (about 10 GB per mounted image plus the exports).' },
  '0x80070005': { meaning: 'access denied', fix: 'DISM needs an elevated (administrator) runner service.' },
  '0x800702e4': { meaning: 'the operation requires elevation', fix: 'Run the runner service as an administrator.' },
};

/** The error code DISM printed ("Error: 0x800f0823"), lower-case, or a decimal exit code turned into hex. */
export function dismErrorCode(output: string, exitCode?: number): string | undefined {
  const codes = [...output.matchAll(/Error:\s*(0x[0-9a-fA-F]{8})/g)].map((m) => m[1]!.toLowerCase());
  if (codes.length > 0) return codes.at(-1);
  if (exitCode !== undefined && exitCode !== 0) return `0x${(exitCode >>> 0).toString(16).padStart(8, '0')}`;
  return undefined;
}

/** DISM's own sentence after the error code (e.g. "The specified package is not applicable to this image."). */
export function dismErrorText(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  const at = lines.findLastIndex((l) => /^Error:\s*\S+/.test(l));
  if (at < 0) return undefined;
  return lines.slice(at + 1).find((l) => l && !/^Error:/.test(l) && !/log file can be found/i.test(l));
}

export function decodeDismError(code: string | undefined): DismErrorInfo | undefined {
  if (!code) return undefined;
  const known = TABLE[code.toLowerCase()];
  return known ? { code: code.toLowerCase(), ...known } : undefined;
}
