// The shared state of one servicing run and the shapes its phases return.
import type { SevenZip } from '../imaging/sevenzip.ts';
import type { WimInfo } from '../imaging/types.ts';
import type { WimlibEngine } from '../imaging/wimlib.ts';
import type { Workspace } from '../media/workspace.ts';
import type { Reporter } from '../util/events.ts';
import type { DismSession } from './execute-dism.ts';
import type { AppliedUpdate } from './plan-types.ts';

export interface ExecuteOptions {
  workspace: Workspace;
  reporter: Reporter;
  sevenZip: SevenZip;
  /** wimlib for the file work on WIMs (extract, replace, read); without it DISM does that too. */
  wimlib?: WimlibEngine;
  /** The DISM binary; needed when the plan services images, or when there is no wimlib. */
  dismFile?: string;
  /** boot.wim's bootable index as the manifest records it (DISM does not report it). */
  bootIndex?: number;
  /** The media's files (manifest paths; the runner has checked media/ against the manifest). */
  mediaFiles: readonly string[];
  /** Mount folders, working copies and DISM's scratch go here (a local NTFS disk on Windows). */
  scratchRoot: string;
  continueOnError: boolean;
}

export interface Failure {
  target: string;
  operation: string;
  code?: string;
  message: string;
}

export interface ExecuteResult {
  renames: { from: string; to: string }[];
  /** Media-relative paths that the renames replace or add. */
  changedPaths: string[];
  /** Temporary folders to remove once the change is committed. */
  cleanup: string[];
  installInfo?: WimInfo;
  bootInfo?: WimInfo;
  applied: AppliedUpdate[];
  failures: Failure[];
  verified: string[];
  /** What happened to the boot managers (2023 kept, or switched to): src/media/boot/boot-files.ts. */
  bootNotes: string[];
  /** Things that went on with a warning (component cleanup that hit 0x800F0806). */
  warnings: string[];
  /** WinRE's version read before and after servicing, when it was serviced. */
  winre?: { from: string; before: string; after: string };
}

/** File work on WIMs besides servicing: wimlib where installed, DISM otherwise. */
export interface WimFiles {
  readonly name: 'wimlib' | 'dism';
  info(wim: string): Promise<WimInfo>;
  /** Copies files of one image ('/'-separated paths, any case) into destDir, flat. */
  extractFiles(wim: string, index: number, paths: readonly string[], destDir: string): Promise<void>;
  replaceFile(wim: string, index: number, source: string, pathInImage: string): Promise<void>;
  /** Paths under a folder of one image (for the boot files: src/media/boot/boot-files.ts). */
  list(wim: string, index: number, under: string): Promise<string[]>;
  exportImages(source: string, indexes: number[], dest: string, bootIndex: number): Promise<void>;
}

/** What every phase of a run shares. */
export interface RunState {
  readonly o: ExecuteOptions;
  readonly dism: DismSession;
  readonly files: WimFiles;
  readonly runDir: string;
  readonly failures: Failure[];
  readonly verified: string[];
  readonly bootNotes: string[];
  readonly warnings: string[];
  info(message: string): void;
}

export const WINRE_PATH = 'Windows/System32/Recovery/Winre.wim';
