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

/** What a raw Node system error (ENOENT, EACCES, EIO…) means, and what to do about it. */
const SYSTEM_ERRORS: Record<string, { meaning: string; fix: string }> = {
  ENOENT: { meaning: 'it does not exist', fix: 'Check the path in the command line or recipe; create the folder first if it should be there.' },
  EACCES: {
    meaning: 'permission denied',
    fix: 'Give the account that runs osmedia (on a CI runner, its service account) access to it, or choose another path.',
  },
  EPERM: {
    meaning: 'the operation is not permitted (a read-only or immutable file, or on Windows a file open in another program)',
    fix: 'Close programs that hold it open (Explorer, antivirus), clear its read-only attribute or give the account that runs osmedia access to it, then run again.',
  },
  EEXIST: {
    meaning: 'something is already there (often a file where osmedia needs a folder)',
    fix: 'Remove or rename what is in the way, or choose another path.',
  },
  ENOTDIR: { meaning: 'a part of the path is a file, not a folder', fix: 'Correct the path: every part but the last must be a folder.' },
  EISDIR: { meaning: 'it is a folder, where a file is needed', fix: 'Name a file (for example report.xml inside that folder), not the folder itself.' },
  ENOSPC: { meaning: 'the disk is full', fix: 'Free space on that disk (the workspace needs about twice the ISO size), or choose a larger one.' },
  EDQUOT: { meaning: 'the disk quota is used up', fix: 'Free space within the quota, or choose another disk.' },
  EIO: {
    meaning: 'the disk or share reported an input/output error',
    fix: 'Check the disk or the network share (a dropped SMB connection, a failing disk), then run again; an interrupted workspace is recovered on the next run.',
  },
  EROFS: { meaning: 'the file system is read-only', fix: 'Choose a writable disk or share, or remount it writable.' },
  EBUSY: { meaning: 'it is in use', fix: 'Close the program that uses it (Explorer, antivirus, a mounted image), then run again.' },
  EMFILE: { meaning: 'too many files are open', fix: 'Raise the open-file limit (ulimit -n) or run fewer jobs at once on this machine.' },
  ENAMETOOLONG: {
    meaning: 'the path is too long',
    fix: 'Choose a shorter workspace or target path (on Windows, enable long paths or stay under 260 characters).',
  },
  ETIMEDOUT: { meaning: 'the share did not answer in time', fix: 'Check the network path to the share, then run again.' },
  ECONNRESET: { meaning: 'the connection to the share was reset', fix: 'Check the network path to the share, then run again.' },
  EHOSTDOWN: { meaning: 'the server of the share is down', fix: 'Check that the file server is up, then run again.' },
};

const SYSCALL_VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the folder',
  rename: 'move',
  unlink: 'delete',
  rmdir: 'delete the folder',
  rm: 'delete',
  scandir: 'list the folder',
  opendir: 'list the folder',
  stat: 'look at',
  lstat: 'look at',
  copyfile: 'copy',
  link: 'link',
  symlink: 'link',
  utime: 'set the time of',
  chmod: 'change the permissions of',
  access: 'reach',
  statfs: 'check the free space of',
  spawn: 'start',
};

/** A raw Node system error (what fs and child_process throw): it has an errno code and a syscall. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException & { dest?: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * The osmedia form of a raw system error: what failed, on which path, and the fix, instead of
 * "EEXIST: file already exists, mkdir '/x'" and a stack (issue 16.13). Other errors pass through.
 */
export function fromSystemError(error: unknown): unknown {
  if (!isSystemError(error)) return error;
  const code = error.code!;
  const known = SYSTEM_ERRORS[code];
  const syscall = error.syscall!.replace(/^spawn .*/, 'spawn');
  const verb = SYSCALL_VERBS[syscall] ?? syscall;
  // A rename is how osmedia puts a finished file in place: the destination is what the user named.
  const what = syscall === 'rename' && error.dest ? `write ${error.dest}` : `${verb} ${error.path ?? 'a file'}`;
  return new OsmediaError(`Could not ${what}: ${known?.meaning ?? error.message.replace(/^[A-Z]+: /, '').replace(/, .*$/, '')} (${code})`, {
    fix: known?.fix ?? 'Check the path and the permissions of the account that runs osmedia, then run again.',
    cause: error,
  });
}

/** A plain-object view of any error, for `--json` results and reports. */
export function describeError(error: unknown): { type: string; message: string; fix?: string; tool?: string; toolExitCode?: number; logPath?: string } {
  if (isSystemError(error)) return { ...describeError(fromSystemError(error)), type: 'SystemError' };
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
