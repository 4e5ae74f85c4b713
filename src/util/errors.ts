// Typed errors. Everything the CLI, the Action or Jenkins shows a user passes one funnel
// (src/cli.ts `main`), which maps these classes to exit codes and messages.

/**
 * The one exit-code table (README "Exit codes", docs/architecture.md). The CLI returns these; the
 * Action sets them as its exit code and `exit-code` output; the Jenkins library names them.
 * An unchanged re-run ("nothing to do") is a success: 0, with changed=false in the result.
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, locked: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, in the words the wrappers print. */
export const EXIT_MEANINGS: Record<ExitCode, string> = {
  0: 'ok',
  1: 'a step failed',
  2: 'bad usage or input',
  3: 'locked by another run',
};

/** Base class: a message that names the problem, and a `fix` that says what to do about it. */
export class OsmediaError extends Error {
  readonly exitCode: ExitCode = ExitCode.failure;
  readonly fix?: string;
  constructor(message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.fix = options.fix;
  }
}

/** Wrong arguments, an invalid recipe, a selector that matches nothing: exit 2. */
export class UsageError extends OsmediaError {
  override readonly exitCode = ExitCode.usage;
}

/** The workspace or a target is locked by another run that is still going: exit 3 (try again later, or --wait). */
export class LockedError extends OsmediaError {
  override readonly exitCode = ExitCode.locked;
}

/** The media (source or workspace) is not what it must be: missing, damaged, not Windows media. */
export class MediaError extends OsmediaError {}

/** An external tool (wimlib-imagex, 7-Zip, DISM) failed. Keeps its exit code and the path of its full log. */
export class ToolError extends OsmediaError {
  readonly tool: string;
  readonly toolExitCode: number | undefined;
  readonly logPath: string | undefined;
  readonly output: string;
  constructor(message: string, details: { tool: string; exitCode?: number; logPath?: string; output?: string; fix?: string; cause?: unknown }) {
    super(message, { fix: details.fix, cause: details.cause });
    this.tool = details.tool;
    this.toolExitCode = details.exitCode;
    this.logPath = details.logPath;
    this.output = details.output ?? '';
  }
}

/** A plain-object view of any error, for `--json` results and reports. */
export function describeError(error: unknown): { type: string; message: string; fix?: string; tool?: string; toolExitCode?: number; logPath?: string } {
  if (error instanceof ToolError) {
    return { type: error.name, message: error.message, fix: error.fix, tool: error.tool, toolExitCode: error.toolExitCode, logPath: error.logPath };
  }
  if (error instanceof OsmediaError) return { type: error.name, message: error.message, fix: error.fix };
  if (error instanceof Error) return { type: 'InternalError', message: error.message };
  return { type: 'InternalError', message: String(error) };
}

export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof OsmediaError ? error.exitCode : ExitCode.failure;
}
