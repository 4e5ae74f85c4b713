// Windows target paths: UNC (\\server\share\folder) and the long-path forms (\\?\C:\…,
// \\?\UNC\server\share\…). Node's fs adds the \\?\ prefix to every absolute path itself on
// Windows (path.toNamespacedPath, nodejs.org/api/path.html#pathtonamespacedpathpath), which lifts
// MAX_PATH (260) up to 32,767 characters ("Maximum Path Length Limitation",
// learn.microsoft.com/windows/win32/fileio/maximum-file-path-limitation). So osmedia reasons on the
// plain form (the folder beside a mirror, the root of a share) and measures lengths on the prefixed
// form. The path module is a parameter, so the Windows logic is unit-tested on Linux (path.win32).
import path from 'node:path';

type PathApi = typeof path.win32;

/** `\\?\UNC\server\share\x` → `\\server\share\x`, `\\?\C:\x` → `C:\x`; other paths unchanged. */
export function fromLongPath(p: string): string {
  if (/^\\\\\?\\UNC\\/i.test(p)) return `\\\\${p.slice(8)}`;
  if (/^\\\\\?\\[a-zA-Z]:/.test(p)) return p.slice(4);
  return p;
}

/** A --target as osmedia works with it: absolute, and on Windows in the plain (not \\?\) form. */
export function normalizeTarget(raw: string, api: PathApi = path): string {
  const resolved = api.resolve(api === path.win32 ? fromLongPath(raw) : raw);
  // resolve keeps a trailing separator on a root (\\server\share\): drop it, except for a root itself.
  return resolved.length > api.parse(resolved).root.length ? resolved.replace(/[\\/]+$/, '') : resolved;
}

/** Whether the path is the root of a drive or of a share (\\server\share): no folder beside it. */
export function isRoot(target: string, api: PathApi = path): boolean {
  const plain = api === path.win32 ? fromLongPath(target) : target;
  const root = api.parse(plain).root;
  return plain.replace(/[\\/]+$/, '') === root.replace(/[\\/]+$/, '') || api.dirname(plain) === plain;
}

export function isUnc(target: string): boolean {
  return /^\\\\(?![?.]\\)[^\\]+\\[^\\]+/.test(target) || /^\\\\\?\\UNC\\/i.test(target);
}

/** The length Windows counts for a path: of its \\?\ form (what Node hands to the system). */
export function windowsLength(p: string): number {
  return path.win32.toNamespacedPath(path.win32.resolve(fromLongPath(p))).length;
}
