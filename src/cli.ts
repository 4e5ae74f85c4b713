// `osmedia <command>`: the CLI for people and for Jenkins. It parses flags and hands over to the
// command modules in src/commands/ (which load what only they need when they run); every error
// passes the funnel in main().
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsOptionDescriptor } from 'node:util';
import { commands as recipeCommands } from './commands/recipes.ts';
import { commands as resolveCommands } from './commands/resolve.ts';
import { common, type Command, type Values } from './commands/shared.ts';
import { commands as stepCommands } from './commands/steps.ts';
import { commands as toolCommands } from './commands/tools.ts';
import { renderJUnit } from './report/junit.ts';
import { describeError, EXIT_MEANINGS, exitCodeOf, ExitCode, UsageError } from './util/errors.ts';
import { CollectingReporter, ConsoleReporter, fanOut, type Reporter } from './util/events.ts';
import { withoutNulls } from './util/nulls.ts';
import { writeFileAtomic } from './util/fs.ts';
import { nearest } from './util/suggest.ts';
import { OSMEDIA_VERSION } from './version.ts';

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Every command, in the order `osmedia --help` lists them. */
const commands: Record<string, Command> = {
  ...stepCommands,
  verify: toolCommands.verify!,
  ...recipeCommands,
  updates: resolveCommands.updates!,
  inspect: toolCommands.inspect!,
  sample: toolCommands.sample!,
};

function commandHelp(name: string, command: Command): string {
  const options = { ...command.options, ...common };
  const rows = Object.entries(options).map(([flag, spec]) => {
    const s = spec as ParseArgsOptionDescriptor & { description: string; placeholder?: string };
    const left = `${s.short ? `-${s.short}, ` : '    '}--${flag}${s.type === 'string' ? ` ${s.placeholder ?? 'VALUE'}` : ''}`;
    return `  ${left.padEnd(30)} ${s.description}`;
  });
  return `osmedia ${name}: ${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${rows.join('\n')}\n\nExit codes: ${exitCodeLine()}.\n`;
}

/** The exit-code table as one line of help. */
const exitCodeLine = () =>
  Object.entries(EXIT_MEANINGS)
    .map(([code, meaning]) => `${code} ${meaning}`)
    .join(', ');

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return `osmedia ${OSMEDIA_VERSION}: service Windows installation media for Configuration Manager

Usage: osmedia <command> [options]

Commands:
${rows.join('\n')}

Every command takes --help, --json, --quiet, --result-file FILE, --args-file FILE and --junit FILE.
Exit codes: ${exitCodeLine()}.
Environment: OSMEDIA_WIMLIB, OSMEDIA_7ZIP, OSMEDIA_DISM, OSMEDIA_POWERSHELL, OSMEDIA_OSCDIMG, OSMEDIA_XORRISO (tool paths), OSMEDIA_ISO_TOOL (oscdimg|xorriso), OSMEDIA_ENGINE (wimlib|dism), SOURCE_DATE_EPOCH (build file date).
Docs: README.md and docs/ in the osmedia repository.
`;
}

class QuietReporter implements Reporter {
  private readonly inner: Reporter;
  constructor(inner: Reporter) {
    this.inner = inner;
  }
  emit(event: Parameters<Reporter['emit']>[0]): void {
    if (event.type === 'warning') this.inner.emit(event);
  }
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${OSMEDIA_VERSION}\n`);
    return ExitCode.ok;
  }
  const command = commands[name];
  const wantsJson = rest.includes('--json');
  const fail = (error: unknown): number => {
    const described = describeError(error);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, command: name, error: described }, null, 2)}\n`);
    io.stderr.write(`error: ${described.message}\n${described.fix ? `fix: ${described.fix}\n` : ''}${described.logPath ? `log: ${described.logPath}\n` : ''}`);
    return exitCodeOf(error);
  };
  if (!command) return fail(new UsageError(`Unknown command "${name}"`, { fix: `Run \`osmedia --help\` for the list of commands.` }));
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, ...common }, allowPositionals: Boolean(command.positionals), strict: true });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (error) {
    return fail(flagError(error as Error & { code?: string }, name, Object.keys({ ...command.options, ...common })));
  }
  if (values.help) {
    io.stdout.write(commandHelp(name, command));
    return ExitCode.ok;
  }
  const tty = Boolean(io.stderr.isTTY) && !io.env.CI;
  const consoleReporter = new ConsoleReporter({ stream: io.stderr, tty });
  const collected = new CollectingReporter();
  const reporter = fanOut(values.quiet ? new QuietReporter(consoleReporter) : consoleReporter, collected);
  const startedAt = new Date();
  // Reports are written whatever the outcome: a failed run is when Jenkins needs them most.
  const writeReports = async (result: Record<string, unknown>, failure?: ReturnType<typeof describeError>) => {
    if (typeof values['result-file'] === 'string') await writeFileAtomic(path.resolve(values['result-file']), `${JSON.stringify(result, null, 2)}\n`);
    if (typeof values.junit === 'string') {
      const xml = renderJUnit({
        command: name,
        events: collected.events,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        failure,
        properties: {
          'osmedia.version': OSMEDIA_VERSION,
          'osmedia.command': name,
          'osmedia.build': typeof result.build === 'string' ? result.build : undefined,
        },
      });
      await writeFileAtomic(path.resolve(values.junit), xml);
    }
  };
  try {
    if (typeof values['args-file'] === 'string') values.fileArgs = await readArgsFile(values['args-file']);
    const outcome = await command.run(values, positionals, reporter);
    const ok = (outcome.exitCode ?? ExitCode.ok) === ExitCode.ok;
    const result = { ok, command: name, ...(outcome.result as object) };
    await writeReports(result);
    if (wantsJson) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(`${outcome.text}\n`);
    return outcome.exitCode ?? ExitCode.ok;
  } catch (error) {
    await writeReports({ ok: false, command: name, error: describeError(error) }, describeError(error)).catch((e: unknown) =>
      io.stderr.write(`warning: could not write the reports: ${describeError(e).message}\n`),
    );
    return fail(error);
  }
}

/** A parseArgs error as a usage error; an unknown flag gets the nearest valid one. */
function flagError(error: Error & { code?: string }, command: string, flags: string[]): UsageError {
  const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-{1,2}[^']+)'/.exec(error.message)?.[1] : undefined;
  if (unknown) {
    const name = unknown.replace(/^-+/, '');
    // A typo (--kepe → --keep), or the start of a longer flag (--keep → --keep-versions on distribute).
    const guess = nearest(name, flags) ?? flags.find((f) => f.startsWith(`${name}-`));
    return new UsageError(`Unknown option ${unknown}${guess ? `; did you mean --${guess}?` : ''}`, {
      fix: `Run \`osmedia ${command} --help\` for its options.`,
    });
  }
  return new UsageError(error.message, { fix: `Run \`osmedia ${command} --help\`.` });
}

/** Reads --args-file: one JSON object of options; a null value means the key is not set (src/util/nulls.ts). */
async function readArgsFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the arguments file ${file} (${(error as NodeJS.ErrnoException).code})`, {
      fix: 'Pass the path of an existing JSON file with --args-file.',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, '')); // PowerShell and Notepad write a BOM
  } catch (error) {
    throw new UsageError(`The arguments file ${file} is not valid JSON: ${(error as Error).message}`, {
      fix: 'Write one JSON object, for example {"workspace": "C:\\\\osmedia\\\\ws", "keep": ["Enterprise"]}.',
    });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`The arguments file ${file} must hold one JSON object`, { fix: 'Write the options as {"name": value, …}.' });
  }
  return withoutNulls(data as Record<string, unknown>);
}

/** Exposed for tests: the command names and their help. */
export const commandNames = Object.keys(commands);
export { commandHelp, mainHelp };
