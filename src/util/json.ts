// One way to read a JSON file osmedia depends on (the workspace manifest, a published copy's
// manifest and pointer, a site state file): every failure names the file, says what is wrong with
// it and what to do, and keeps the underlying error as its `cause`.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { MediaError } from './errors.ts';

export interface ReadJsonOptions {
  /** What the file is, for messages: "workspace manifest", "site state file". */
  what: string;
  /** What to do when the file is unreadable, not JSON or not the expected shape. */
  fix: string;
  /** What to do when it does not exist (default: fix). */
  missingFix?: string;
}

/** Reads and validates a JSON file (a UTF-8 byte order mark, as PowerShell writes, is allowed). */
export async function readJson<T>(file: string, schema: z.ZodType<T>, options: ReadJsonOptions): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new MediaError(`Cannot read the ${options.what} ${file} (${code})`, {
      fix: code === 'ENOENT' ? (options.missingFix ?? options.fix) : options.fix,
      cause: error,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new MediaError(`The ${options.what} ${file} is not JSON (${(error as Error).message})`, { fix: options.fix, cause: error });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const where = first.path.length ? `${first.path.join('.')}: ` : '';
    throw new MediaError(`The ${options.what} ${file} is not valid: ${where}${first.message}`, { fix: options.fix, cause: parsed.error });
  }
  return parsed.data;
}

/** readJson, with a missing file read as undefined. */
export async function readJsonIfExists<T>(file: string, schema: z.ZodType<T>, options: ReadJsonOptions): Promise<T | undefined> {
  try {
    return await readJson(file, schema, options);
  } catch (error) {
    if (error instanceof MediaError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw error;
  }
}
