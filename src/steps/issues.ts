// Zod issues as sentences a person can act on: the option named the way the user wrote it (a flag,
// an Action input, a recipe path), "is required" for a missing value, "did you mean" for a typo.
import type { z } from 'zod';
import { nearest } from '../util/suggest.ts';
import { getPath, shapeOf } from './fields.ts';

export interface Naming {
  /** How the user names the option at this path: "--keep", "keep", "media.keep". */
  name(path: PropertyKey[]): string;
  /** The valid keys of the object at this path, for "did you mean" (flags, inputs or recipe keys). */
  keys(path: PropertyKey[]): string[];
  /** How the user names a key at this path when suggesting it (defaults to name). */
  suggestion?(path: PropertyKey[], key: string): string;
}

/** The valid keys of the object schema at a path (looking into nested objects). */
export function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let shape = shapeOf(schema);
  for (const key of path) {
    const next = shape?.[String(key)];
    shape = next ? shapeOf(next) : undefined;
  }
  return Object.keys(shape ?? {});
}

type Issue = z.core.$ZodIssue;

/** One union branch to report: the one that got furthest (not a plain type mismatch), else the first. */
function flatten(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const branch = issue.errors.find((b) => b.some((i) => i.code !== 'invalid_type')) ?? issue.errors[0]!;
  return branch.flatMap((i) => flatten({ ...i, path: [...issue.path, ...i.path] }));
}

/** The issues as lines, each naming its option once. `raw` is what the user gave. */
export function describeIssues(issues: readonly Issue[], raw: unknown, naming: Naming): string[] {
  const lines = new Set<string>();
  for (const issue of issues.flatMap(flatten)) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const guess = nearest(key, naming.keys(issue.path));
        const said = guess ? `; did you mean ${(naming.suggestion ?? ((p, k) => naming.name([...p, k])))(issue.path, guess)}?` : '';
        lines.add(`${naming.name([...issue.path, key])}: unknown key${said}`);
      }
    } else if (issue.code === 'invalid_type' && getPath(raw, issue.path) === undefined) {
      lines.add(`${naming.name(issue.path)} is required`);
    } else {
      lines.add(`${naming.name(issue.path)}: ${issue.message}`);
    }
  }
  return [...lines];
}
