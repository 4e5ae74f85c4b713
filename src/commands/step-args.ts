// A step command's flags and --args-file, both from the step's surface (src/steps/surface.ts):
// the parseArgs options, the options object they make, and errors that name the flag the user
// typed ("--keep is required", "did you mean").
import { withoutNulls } from '../util/nulls.ts';
import type { ParseArgsOptionDescriptor } from 'node:util';
import { createContext } from '../context.ts';
import { buildOptions, setPath, type Field } from '../steps/fields.ts';
import { describeIssues, keysAt } from '../steps/issues.ts';
import { argsAliases, argsFileKeys, exampleLine, hostFields, stepFields, surfaces } from '../steps/surface.ts';
import type { StepId } from '../steps/types.ts';
import type { Reporter } from '../util/events.ts';
import { UsageError } from '../util/errors.ts';
import { nearest } from '../util/suggest.ts';

export type Values = Record<string, string | boolean | string[] | undefined> & { fileArgs?: Record<string, unknown> };
export type CliOption = ParseArgsOptionDescriptor & { description: string; placeholder?: string };

/** The parseArgs options of a step command. */
export function cliOptions(id: StepId): Record<string, CliOption> {
  return Object.fromEntries(
    hostFields(id, 'cli').map((f) => [
      f.meta.flag!,
      {
        type: f.kind === 'boolean' ? 'boolean' : 'string',
        ...(f.kind === 'list' ? { multiple: true } : {}),
        ...(f.meta.short ? { short: f.meta.short } : {}),
        description: f.meta.description,
        ...(f.meta.placeholder ? { placeholder: f.meta.placeholder } : {}),
      } satisfies CliOption,
    ]),
  );
}

/** Splits an --args-file into step options and command flags, naming unknown keys with a suggestion. */
function readFileArgs(id: StepId, fileArgs: Record<string, unknown>): { options: Record<string, unknown>; flags: Record<string, unknown> } {
  const keys = argsFileKeys(id);
  const alias = argsAliases(id);
  const flagKeys = new Set([...stepFields(id).common, ...stepFields(id).flags].map((f) => f.path[0]!));
  const options: Record<string, unknown> = {};
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(withoutNulls(fileArgs))) {
    const name = keys.includes(key) ? key : alias.get(key);
    if (!name) {
      const guess = nearest(key, [...keys, ...alias.keys()]);
      throw new UsageError(`The arguments file has an unknown key "${key}" for ${id}${guess ? `; did you mean "${guess}"?` : ''}`, {
        fix: `Use the keys ${keys.join(', ')} (as in the recipe; see osmedia ${id} --help).`,
      });
    }
    if (flagKeys.has(name)) flags[name] = value;
    else if (!(name in options) || name === key) options[name] = value;
  }
  return { options, flags };
}

/** The values of a step's command flags (not options): the command line, else the args file. */
function flagValues(id: StepId, values: Values, fileFlags: Record<string, unknown>): Record<string, unknown> {
  const { common, flags } = stepFields(id);
  const out: Record<string, unknown> = { ...fileFlags };
  for (const f of [...common, ...flags]) {
    const given = f.meta.flag === undefined ? undefined : values[f.meta.flag];
    if (given !== undefined) out[f.path[0]!] = given;
  }
  return out;
}

/** How a path in a step's options is named to a CLI user: its flag, else its --args-file key. */
function cliNaming(id: StepId) {
  const byPath = new Map(stepFields(id).options.map((f) => [f.path.join('.'), f]));
  const name = (path: PropertyKey[]) => {
    const flag = byPath.get(path.map(String).join('.'))?.meta.flag;
    return flag ? `--${flag}` : path.length ? `"${path.map(String).join('.')}"` : '(options)';
  };
  // Unknown keys only come from an --args-file: suggest the key as it is written there.
  const suggestion = (path: PropertyKey[], key: string) => `"${[...path.map(String), key].join('.')}"`;
  return { name, suggestion, keys: (path: PropertyKey[]) => keysAt(surfaces[id].options, path) };
}

/** Validates a step's options, with messages that name the flags; returns nothing (the runner parses). */
export function checkOptions(id: StepId, options: Record<string, unknown>): void {
  const parsed = surfaces[id].options.safeParse(options);
  if (parsed.success) return;
  const lines = describeIssues(parsed.error.issues, options, cliNaming(id));
  const missing = parsed.error.issues
    .map((i) => stepFields(id).options.find((f: Field) => f.path.join('.') === i.path.join('.')))
    .find((f) => f && lines.includes(`--${f.meta.flag} is required`));
  const fix = missing
    ? `Pass --${missing.meta.flag} ${missing.kind === 'boolean' ? '' : (missing.meta.placeholder ?? 'VALUE')} (or "${missing.path.join('.')}" in the --args-file), for example:\n  ${exampleLine(id, missing)}`
    : `Correct the options named above; see osmedia ${id} --help.`;
  throw new UsageError(lines.length === 1 ? lines[0]! : `Invalid options:\n${lines.map((l) => `  ${l}`).join('\n')}`, { fix });
}

/** A step's options (args file, then flags) and its context (workspace from the flag or the args file). */
export function stepInvocation(id: StepId, values: Values, reporter: Reporter) {
  const file = readFileArgs(id, values.fileArgs ?? {});
  const optionPaths = new Set(stepFields(id).options.map((f) => f.path.join('.')));
  const fromFlags = buildOptions(
    hostFields(id, 'cli').filter((f) => optionPaths.has(f.path.join('.'))),
    (f) => values[f.meta.flag!],
  );
  const options = { ...file.options };
  for (const [key, value] of Object.entries(fromFlags)) {
    // A nested object from flags (site) merges into the one from the file; flags win.
    if (value && typeof value === 'object' && !Array.isArray(value) && options[key] && typeof options[key] === 'object')
      for (const [k, v] of Object.entries(value)) setPath(options, [key, k], v);
    else options[key] = value;
  }
  const flags = flagValues(id, values, file.flags);
  checkOptions(id, options);
  const workspaceDir = typeof flags.workspace === 'string' ? flags.workspace : undefined;
  if (!workspaceDir)
    throw new UsageError('--workspace is required', {
      fix: `Pass --workspace DIR (or "workspace" in the --args-file), for example:\n  ${exampleLine(id, stepFields(id).common[0]!)}`,
    });
  const context = createContext({
    workspace: workspaceDir,
    reporter,
    force: flags.force === true,
    engine: typeof flags.engine === 'string' ? flags.engine : undefined,
  });
  return { options, flags, context };
}
