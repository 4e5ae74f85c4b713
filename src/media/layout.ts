// Recognises Windows installation media from a list of relative paths (an ISO listing or a folder
// walk), so a wrong source is refused before anything is extracted or copied.
import { MediaError } from '../util/errors.ts';

export type InstallKind = 'wim' | 'esd' | 'swm';

export interface MediaLayout {
  setupExe: string;
  installKind: InstallKind;
  /** The install image as found; for split media, every part in order (install.swm, install2.swm, …). */
  installParts: string[];
  bootWim?: string;
}

const SWM_PART = /^sources\/install(\d*)\.swm$/i;

/** Finds setup.exe and sources/install.{wim,esd,swm}; throws MediaError naming what is missing. */
export function detectLayout(paths: readonly string[], sourceLabel: string): MediaLayout {
  const byLower = new Map(paths.map((p) => [p.replaceAll('\\', '/').replace(/^\/+/, '').toLowerCase(), p]));
  const setupExe = byLower.get('setup.exe');
  const wim = byLower.get('sources/install.wim');
  const esd = byLower.get('sources/install.esd');
  const swmParts = [...byLower.entries()]
    .filter(([lower]) => SWM_PART.test(lower))
    .map(([lower, original]) => ({ original, part: Number(SWM_PART.exec(lower)![1] || 1) }))
    .sort((a, b) => a.part - b.part)
    .map((p) => p.original);

  const missing: string[] = [];
  if (!setupExe) missing.push('setup.exe at the root');
  if (!wim && !esd && swmParts.length === 0) missing.push('sources/install.wim (or install.esd, or split install.swm parts)');
  if (missing.length > 0 || !setupExe) {
    throw new MediaError(`${sourceLabel} is not Windows installation media: missing ${missing.join(' and ')}`, {
      fix: 'Point --source at a Windows 10/11 or Server ISO, or at a folder extracted from one (it holds setup.exe and sources/).',
    });
  }
  const installKind: InstallKind = wim ? 'wim' : esd ? 'esd' : 'swm';
  const installParts = wim ? [wim] : esd ? [esd] : swmParts;
  return { setupExe, installKind, installParts, bootWim: byLower.get('sources/boot.wim') };
}
