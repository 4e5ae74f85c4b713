// Reads a recipe file: YAML syntax errors with their line, schema errors with the field path.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
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
    throw new UsageError(`${file} is not valid YAML${where}: ${first.message.split('\n')[0]}`, { fix: 'Fix the YAML syntax at that line.' });
  }
  const parsed = RecipeSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
      return `  ${field}: ${issue.message}${keys}`;
    });
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
  return z.toJSONSchema(RecipeSchema, { io: 'input' });
}
