// What every command module shares: the Command shape, common options, and how a step command
// turns flags and an --args-file into a step run.
import type { ParseArgsOptionDescriptor } from 'node:util';
import { runStep, type StepRunResult } from '../pipeline/run-step.ts';
import { getStep, type StepId } from '../steps/index.ts';
import type { Reporter } from '../util/events.ts';
import { UsageError } from '../util/errors.ts';
import { stepInvocation, type Values } from './step-args.ts';

export type { Values } from './step-args.ts';

export interface Outcome {
  result: unknown;
  text: string;
  /** Non-zero when the command ran but found a problem (none yet among these commands). */
  exitCode?: number;
}

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, ParseArgsOptionDescriptor & { description: string; placeholder?: string }>;
  positionals?: string;
  run(values: Values, positionals: string[], reporter: Reporter): Promise<Outcome>;
}

export const common = {
  json: { type: 'boolean', description: 'print one JSON result object on stdout (logs stay on stderr)' },
  'result-file': { type: 'string', description: 'also write that JSON result object to FILE (success or failure)', placeholder: 'FILE' },
  'args-file': {
    type: 'string',
    description: 'read the options from a JSON object in FILE (keys as in the recipe or --json; flags given on the command line win)',
    placeholder: 'FILE',
  },
  junit: { type: 'string', description: "write a JUnit XML report to FILE: one test case per step (for Jenkins' junit step)", placeholder: 'FILE' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  quiet: { type: 'boolean', short: 'q', description: 'print only warnings and errors on stderr' },
} as const;

export const workspaceOption = {
  type: 'string',
  short: 'w',
  description: 'the workspace folder (holds media/ and osmedia-manifest.json)',
  placeholder: 'DIR',
} as const;
export const engineOption = { type: 'string', description: 'WIM engine: wimlib (default) or dism (Windows only)', placeholder: 'NAME' } as const;

export function requireValue(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`, { fix: `Pass --${name} (see --help).` });
  return value;
}

export function stepText(result: StepRunResult): string {
  return `${result.step}: ${result.result} — ${result.message}`;
}

/** Options from --args-file, overridden by the flags actually given on the command line. */
export function mergeArgs(fileArgs: Record<string, unknown>, flags: Record<string, unknown>): Record<string, unknown> {
  return { ...fileArgs, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) };
}

/** Runs one step from its command's flags and --args-file. */
export async function runSingleStep(id: StepId, values: Values, reporter: Reporter, invocation = stepInvocation(id, values, reporter)): Promise<Outcome> {
  const { options, context } = invocation;
  const result = await runStep(getStep(id), options, context, `osmedia ${id}`);
  const { manifest, ...rest } = result;
  return {
    result: {
      ...rest,
      workspace: context.workspace.root,
      manifestPath: context.workspace.manifestPath,
      build: manifest.installWim.images[0]?.version,
      images: manifest.installWim.images,
    },
    text: stepText(result),
  };
}
