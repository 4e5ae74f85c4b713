// Runs external tools (wimlib-imagex, 7-Zip, DISM) with no shell, keeps their full output in a log
// file, and turns failures into ToolError with the exit code and the log's path.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './errors.ts';

export interface RunOptions {
  cwd?: string;
  /** Called for every output line; tools that redraw with `\r` or `\b` yield one line per redraw. */
  onLine?: (line: string) => void;
  /** Where the full output is kept when the tool fails (and always, when `keepLog`). */
  logDir?: string;
  keepLog?: boolean;
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  logPath?: string;
}

export interface Invocation {
  tool: string;
  file: string;
  args: string[];
}

/** The command line as a person would type it, for logs and error messages. */
export function formatCommand(file: string, args: readonly string[]): string {
  const quote = (value: string) => (/^[\w@%+=:,./\\-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);
  return [file, ...args].map(quote).join(' ');
}

function splitter(onLine: (line: string) => void) {
  let pending = '';
  return {
    push(chunk: string) {
      pending += chunk;
      const parts = pending.split(/[\r\n\b]+/);
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) onLine(part);
    },
    end() {
      if (pending.trim()) onLine(pending);
      pending = '';
    },
  };
}

async function writeLog(logDir: string, tool: string, command: string, stdout: string, stderr: string, exitCode: number): Promise<string> {
  await mkdir(logDir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(':', '-');
  const logPath = path.join(logDir, `${tool}-${stamp}-${process.pid}.log`);
  await writeFile(logPath, `$ ${command}\nexit code: ${exitCode}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}\n`);
  return logPath;
}

/** Last few meaningful lines of a tool's output, for an error message. */
export function tailLines(text: string, count = 6): string {
  return text
    .split(/[\r\n\b]+/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join('\n');
}

/** A tool that never ran (not installed, not on PATH) has no exit code: say how to get it. */
function throwIfNotStarted(invocation: Invocation, result: { failed: boolean; exitCode?: number; shortMessage?: string; cause?: unknown }): void {
  if (result.failed && result.exitCode === undefined) {
    throw new ToolError(`${invocation.tool} could not be started (${invocation.file}): ${result.shortMessage}`, {
      tool: invocation.tool,
      fix: `Install ${invocation.tool}, or put it on PATH (see README: set-up).`,
      cause: result.cause,
    });
  }
}

/** Runs a tool and returns its text output; throws ToolError when it exits non-zero or cannot start. */
export async function runTool(invocation: Invocation, options: RunOptions = {}): Promise<RunResult> {
  const command = formatCommand(invocation.file, invocation.args);
  const child = execa(invocation.file, invocation.args, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    windowsHide: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (options.onLine) {
    const out = splitter(options.onLine);
    const err = splitter(options.onLine);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
    child.stdout?.on('end', () => out.end());
    child.stderr?.on('end', () => err.end());
  }
  const result = await child;
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  throwIfNotStarted(invocation, result);
  const exitCode = result.exitCode ?? 1;
  let logPath: string | undefined;
  if (options.logDir && (exitCode !== 0 || options.keepLog)) {
    logPath = await writeLog(options.logDir, invocation.tool, command, stdout, stderr, exitCode);
  }
  if (exitCode !== 0) {
    const tail = tailLines(`${stderr}\n${stdout}`);
    throw new ToolError(`${invocation.tool} failed with exit code ${exitCode}: ${command}\n${tail}`, {
      tool: invocation.tool,
      exitCode,
      logPath,
      output: `${stdout}\n${stderr}`,
    });
  }
  return { stdout, stderr, exitCode, logPath };
}

/** Runs a tool whose stdout is binary (wimlib's `--xml` is UTF-16LE). */
export async function runToolBuffer(invocation: Invocation, options: Pick<RunOptions, 'cwd' | 'env'> = {}): Promise<Buffer> {
  const command = formatCommand(invocation.file, invocation.args);
  const result = await execa(invocation.file, invocation.args, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stdin: 'ignore',
    encoding: 'buffer',
    windowsHide: true,
    maxBuffer: 256 * 1024 * 1024,
  });
  throwIfNotStarted(invocation, result);
  if (result.exitCode !== 0) {
    const stderr = Buffer.from(result.stderr).toString('utf8');
    throw new ToolError(`${invocation.tool} failed with exit code ${result.exitCode}: ${command}\n${tailLines(stderr)}`, {
      tool: invocation.tool,
      exitCode: result.exitCode,
      output: stderr,
    });
  }
  return Buffer.from(result.stdout);
}
