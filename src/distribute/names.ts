// Names a package source share cannot store, checked before the first byte is copied. Package
// sources are Windows shares (or Samba serving Windows clients), so Windows' rules apply to every
// target, whatever the runner's own file system accepts. From Microsoft Learn, "Naming Files,
// Paths, and Namespaces" (learn.microsoft.com/windows/win32/fileio/naming-a-file):
// - reserved characters < > : " / \ | ? * and the control characters 1–31 (and 0);
// - reserved device names CON, PRN, AUX, NUL, COM1–COM9, COM¹ COM² COM³, LPT1–LPT9, LPT¹ LPT² LPT³,
//   also when followed by an extension (NUL.txt); "do not end a file or directory name with a space
//   or a period" (the system strips them, so two names meet);
// - names are case-insensitive, so two names differing only in case are one file;
// - the maximum path is 32,767 characters with the \\?\ prefix, 255 per component.
// Measured on the test share (smbnetfs on Samba): : * < > | " \ are refused, and `?` cuts the name.
import path from 'node:path';
import { UsageError } from '../util/errors.ts';
import { windowsLength } from './win-path.ts';

export const MAX_COMPONENT = 255;
export const MAX_WINDOWS_PATH = 32_767;

const RESERVED_CHAR = /[<>:"\\|?*\u0000-\u001f]/;
const DEVICE = /^(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])(\..*)?$/i;

/** What is wrong with one path component for a Windows share, or undefined when nothing is. */
export function componentProblem(name: string): string | undefined {
  const bad = name.match(RESERVED_CHAR);
  if (bad) return `reserved character ${JSON.stringify(bad[0])}`;
  if (/[. ]$/.test(name)) return `ends with ${name.endsWith(' ') ? 'a space' : 'a period'}`;
  if (DEVICE.test(name)) return `reserved device name ${name.split('.')[0]!.toUpperCase()}`;
  if (name.length > MAX_COMPONENT) return `component longer than ${MAX_COMPONENT} characters`;
  return undefined;
}

/**
 * Every name in `relPaths` (media paths with forward slashes) the target cannot store, one line
 * each: reserved characters, trailing dots or spaces, device names, over-long components or paths
 * (`targetLength` is the length of the folder they go below), and names that differ only in case.
 */
export function nameProblems(relPaths: readonly string[], targetLength: number): string[] {
  const problems: string[] = [];
  const byFolded = new Map<string, string>();
  const seenFolders = new Set<string>();
  const fold = (name: string) => {
    const folded = name.toUpperCase();
    const first = byFolded.get(folded);
    if (first === undefined) byFolded.set(folded, name);
    else if (first !== name) problems.push(`${name}: differs from ${first} only in letter case (one name on a Windows share)`);
  };
  for (const rel of relPaths) {
    const slash = rel.lastIndexOf('/');
    const problem = componentProblem(rel.substring(slash + 1));
    if (problem) problems.push(`${rel}: ${problem}`);
    fold(rel);
    // Each folder once, however many files it holds (media have tens of thousands); "Sources/a"
    // and "sources/b" are one folder on the share, so folders are folded too.
    for (let dir = slash < 0 ? '' : rel.substring(0, slash); dir && !seenFolders.has(dir);) {
      seenFolders.add(dir);
      const up = dir.lastIndexOf('/');
      const name = dir.substring(up + 1);
      const bad = componentProblem(name);
      if (bad) problems.push(`${rel}: ${bad} (in the folder name ${JSON.stringify(name)})`);
      fold(dir);
      dir = up < 0 ? '' : dir.substring(0, up);
    }
    const length = targetLength + 1 + rel.length;
    if (length > MAX_WINDOWS_PATH) problems.push(`${rel}: the full path would be ${length} characters, over Windows' ${MAX_WINDOWS_PATH}`);
  }
  return [...new Set(problems)];
}

/** Refuses a publish whose names the target cannot store, listing every offender; nothing is written. */
export function checkNames(relPaths: readonly string[], target: string, platform: NodeJS.Platform = process.platform): void {
  const problems = nameProblems(relPaths, platform === 'win32' ? windowsLength(target) : path.resolve(target).length);
  if (problems.length === 0) return;
  throw new UsageError(
    `${problems.length} name(s) in the media cannot be stored on a Windows share, so nothing was published to ${target}:\n  ${problems.slice(0, 50).join('\n  ')}${problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''}`,
    {
      fix: 'Rename or remove those files in the workspace (they came from an added package or a Setup DU: media from Microsoft have none), then re-run.',
    },
  );
}
