// The files the media takes from boot.wim index 2 after servicing, as Microsoft's sample script does
// (media-dynamic-update.md, "Update WinPE" and "Update remaining media files"): sources/setup.exe,
// sources/setuphost.exe (26100 and later), and the boot managers over their copies on the media.
// Owned by the boot media work (issue 15 item 9); moved here from plan.ts unchanged in behaviour.
import type { ImageInfo } from '../imaging/types.ts';

/** Boot manager files on the media replaced from boot.wim index 2, as Microsoft's script does. */
export const BOOT_MANAGERS: { from: string; names: RegExp }[] = [
  { from: 'Windows/Boot/EFI/bootmgfw.efi', names: /^(bootmgfw|bootx64|bootia32|bootaa64)\.efi$/i },
  { from: 'Windows/Boot/EFI/bootmgr.efi', names: /^bootmgr\.efi$/i },
];

/** First build whose boot.wim carries setuphost.exe (24H2). */
const SETUPHOST_BUILD = 26100;

/** What to copy from boot.wim index 2 (`setupImage`) onto the media, whose files are `mediaFiles`. */
export function bootFileCopies(setupImage: ImageInfo, mediaFiles: readonly string[]): { from: string; to: string[] }[] {
  const build = Number(setupImage.version.split('.')[2] ?? 0);
  const files = [{ from: 'sources/setup.exe', to: ['sources/setup.exe'] }];
  if (build >= SETUPHOST_BUILD) files.push({ from: 'sources/setuphost.exe', to: ['sources/setuphost.exe'] });
  for (const manager of BOOT_MANAGERS) {
    const to = mediaFiles.filter((p) => manager.names.test(p.split('/').at(-1)!));
    if (to.length > 0) files.push({ from: manager.from, to });
  }
  return files;
}
