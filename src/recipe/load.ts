// Reads a recipe file: YAML syntax errors with their line, schema errors with the field path.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { META_KEYS } from '../steps/fields.ts';
import { describeIssues, keysAt } from '../steps/issues.ts';
import { UsageError } from '../util/errors.ts';
import { applyLock } from '../resolve/apply-lock.ts';
import { RecipeSchema, type Recipe } from './schema.ts';

export interface LoadedRecipe {
  file: string;
  dir: string;
  recipe: Recipe;
}

export function parseRecipe(text: string, file: string): Recipe {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})` : '';
    // "C:\iso\x.iso" in double quotes: YAML reads \i as an escape. Single quotes keep backslashes as they are.
    const escape = /invalid escape/i.test(first.message);
    throw new UsageError(`${file} is not valid YAML${where}: ${first.message.split('\n')[0]}`, {
      fix: escape
        ? "A Windows path in double quotes has its backslashes read as escapes: write it in single quotes ('C:\\iso\\win11.iso', '\\\\server\\share') or without quotes."
        : 'Fix the YAML syntax at that line.',
    });
  }
  const raw: unknown = doc.toJS();
  const parsed = RecipeSchema.safeParse(raw);
  if (!parsed.success) {
    const naming = {
      name: (p: PropertyKey[]) => (p.length ? p.map(String).join('.') : '(top level)'),
      keys: (p: PropertyKey[]) => keysAt(RecipeSchema, p),
    };
    const lines = describeIssues(parsed.error.issues, raw, naming).map((l) => `  ${l}`);
    throw new UsageError(`${file} is not a valid recipe:\n${lines.join('\n')}`, { fix: 'Correct the fields named above; docs/recipe.md lists every field.' });
  }
  return parsed.data;
}

/** Loads a recipe; `verifyLock: false` (diff, matrix) takes a lock's files without checking them. */
export async function loadRecipe(file: string, options: { verifyLock?: boolean } = {}): Promise<LoadedRecipe> {
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the recipe ${resolved} (${(error as NodeJS.ErrnoException).code})`, {
      fix: 'Pass the path of an existing recipe file with --recipe.',
      cause: error,
    });
  }
  // With a lock beside the recipe, its updates are the locked files, checked here before any step runs.
  return { file: resolved, dir: path.dirname(resolved), recipe: await applyLock(parseRecipe(text, resolved), resolved, { verify: options.verifyLock }) };
}

/** The workspace a recipe runs in: the override (--workspace), else its `workspace`, else osmedia-work beside it. */
export function recipeWorkspace(loaded: LoadedRecipe, override?: string): string {
  return override ?? path.resolve(loaded.dir, loaded.recipe.workspace ?? 'osmedia-work');
}

/** The recipe's JSON Schema, for editor completion and validation. */
export function recipeJsonSchema(): unknown {
  // The fields' meta carries their CLI surface too (src/steps/fields.ts); only the description belongs here.
  return z.toJSONSchema(RecipeSchema, {
    io: 'input',
    override: ({ jsonSchema }) => {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a fixed list of our own keys, on a fresh object
      for (const key of META_KEYS) delete (jsonSchema as Record<string, unknown>)[key];
    },
  });
}
