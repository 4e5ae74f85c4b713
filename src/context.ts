// Builds the StepContext an entry point (CLI, Action, Jenkins) hands to steps.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DismEngine } from './imaging/dism.ts';
import { SevenZip } from './imaging/sevenzip.ts';
import type { ImageEngine } from './imaging/types.ts';
import { WimlibEngine } from './imaging/wimlib.ts';
import { Workspace } from './media/workspace.ts';
import type { StepContext } from './steps/types.ts';
import { UsageError } from './util/errors.ts';
import type { Reporter } from './util/events.ts';

export type EngineName = 'wimlib' | 'dism';

/** Whether a program is on PATH (with Windows' PATHEXT extensions where they apply). */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').map((e) => e.toLowerCase()) : [''];
  return dirs.some((dir) => exts.some((ext) => existsSync(path.join(dir, `${program}${ext}`))));
}

/** The engine when none is named: wimlib wherever it is installed; on Windows without it, DISM. */
export function defaultEngine(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EngineName {
  if (env.OSMEDIA_ENGINE) return env.OSMEDIA_ENGINE as EngineName;
  if (platform === 'win32' && !env.OSMEDIA_WIMLIB && !onPath('wimlib-imagex', env, platform)) return 'dism';
  return 'wimlib';
}

/** wimlib everywhere it is installed; DISM only on Windows, when asked for or when wimlib is absent. */
export function chooseEngine(requested: string | undefined, workspace?: Workspace): ImageEngine {
  const name = requested ?? defaultEngine();
  if (name === 'wimlib') return new WimlibEngine();
  if (name === 'dism') {
    if (process.platform !== 'win32') {
      throw new UsageError('The DISM engine runs only on Windows', { fix: 'Use --engine wimlib here, or run on a Windows runner.' });
    }
    return new DismEngine(undefined, workspace?.logsDir);
  }
  throw new UsageError(`Unknown engine "${name}"`, { fix: 'Use --engine wimlib or --engine dism.' });
}

export function createContext(options: { workspace: string; reporter: Reporter; force?: boolean; engine?: string; now?: () => Date }): StepContext {
  const workspace = new Workspace(options.workspace);
  return {
    workspace,
    reporter: options.reporter,
    engine: chooseEngine(options.engine, workspace),
    wimlib: new WimlibEngine(),
    sevenZip: new SevenZip(),
    now: options.now ?? (() => new Date()),
    force: options.force ?? false,
  };
}
