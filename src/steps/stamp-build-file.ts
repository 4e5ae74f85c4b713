// stamp-build-file: removes autorun.inf (in any letter case) from the media root and writes the
// build file (text for people, JSON for tools) that identifies this media on an endpoint.
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { buildInfoFrom, renderBuildText } from '../media/build-info.ts';
import { fingerprintFiles, withFiles, type FileEntry } from '../media/manifest.ts';
import { UsageError } from '../util/errors.ts';
import { hashFile } from '../util/fs.ts';
import { relativePathProblem } from '../util/safe-extract.ts';
import { OSMEDIA_VERSION } from '../version.ts';
import { engineField } from './fields.ts';
import { readBootManager } from '../media/boot/record.ts';
import type { Step } from './types.ts';

/** sources/ travels with the upgrade: Setup copies it to C:\$WINDOWS.~BT\Sources on the endpoint. */
export const DEFAULT_BUILD_FILE = 'sources/osmedia-build.txt';

const relativeMediaPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !/^[a-zA-Z]:/.test(p) && !p.split(/[\\/]/).includes('..'), 'a path relative to the media root, without ".."')
  .refine((p) => !p.toLowerCase().endsWith('.json'), 'a text file name; the JSON twin is written beside it with .json')
  // Also no drive letter, control character, "." part or name Windows cannot hold (issue 16.11).
  .superRefine((p, ctx) => {
    const problem = relativePathProblem(p.replace(/^\.\//, ''));
    if (problem) ctx.addIssue({ code: 'custom', message: `a path relative to the media root, not ${problem}` });
  });

export const StampOptionsSchema = z.strictObject({
  file: relativeMediaPath.default(DEFAULT_BUILD_FILE).meta({
    flag: 'file',
    placeholder: 'PATH',
    description: 'path of the build file inside the media (default sources/osmedia-build.txt; the JSON twin goes beside it)',
  }),
  /** Recipe revision; by default the git commit of the repository holding the recipe. */
  revision: z
    .string()
    .min(1)
    // A newline in the revision would forge lines in the build file that technicians trust (issue 16.12).
    .refine((r) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(r), 'a revision is one line: no newline or other control character')
    .optional()
    .meta({
      flag: 'revision',
      placeholder: 'REV',
      actionEnv: 'GITHUB_SHA',
      description: "the recipe revision to record (default: none, or the recipe repository's git commit under `run`, or the commit being built in the Action)",
    }),
  /** Folder of the recipe, to find its git commit (set by `osmedia run`). */
  recipeDir: z.string().optional(),
});
export type StampOptions = z.infer<typeof StampOptionsSchema>;

/** Flags of the stamp-build-file command that are not step options. */
export const StampFlags = z.object({ engine: engineField() });

/** The git commit of the folder's repository, with "-dirty" when it has uncommitted changes. */
export async function gitRevision(dir: string): Promise<string | undefined> {
  const head = await execa('git', ['-C', dir, 'rev-parse', 'HEAD'], { reject: false, stdin: 'ignore' });
  if (head.exitCode !== 0) return undefined;
  const status = await execa('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { reject: false, stdin: 'ignore' });
  return `${String(head.stdout).trim()}${String(status.stdout).trim() ? '-dirty' : ''}`;
}

async function resolveRevision(options: StampOptions): Promise<string> {
  if (options.revision) return options.revision;
  if (options.recipeDir) return (await gitRevision(options.recipeDir)) ?? 'unknown (recipe is not in a git repository)';
  return 'none (no recipe; pass --revision)';
}

function jsonTwin(file: string): string {
  const ext = path.posix.extname(file);
  return `${ext ? file.slice(0, -ext.length) : file}.json`;
}

function normalize(file: string): string {
  return file.replaceAll('\\', '/').replace(/^\.\//, '');
}

export type StampSummary = { file: string; json: string; build: string; removed: string[]; recipeRevision: string | undefined };

export const stampBuildFile: Step<StampOptions, string[], StampSummary> = {
  id: 'stamp-build-file',
  title: 'Stamping the build file',
  schema: StampOptionsSchema,
  reapplicable: true,

  async identity(options) {
    return { file: normalize(options.file), revision: await resolveRevision(options) };
  },

  plan(manifest, options) {
    const file = normalize(options.file);
    const autorun = manifest?.files.filter((f) => !f.path.includes('/') && f.path.toLowerCase() === 'autorun.inf') ?? [];
    return [...autorun.map((f) => `remove ${f.path}`), `write ${file} and ${jsonTwin(file)}`];
  },

  async apply(context, manifest, options) {
    const { workspace, reporter } = context;
    const file = normalize(options.file);
    const twin = jsonTwin(file);
    const target = workspace.media(file);
    const targetDir = path.dirname(target);
    const parent = await stat(targetDir).catch(() => undefined);
    if (parent && !parent.isDirectory())
      throw new UsageError(`Cannot write ${file}: ${path.dirname(file)} is a file in the media`, { fix: 'Choose another --file path.' });

    const autorun = (await readdir(workspace.mediaDir)).filter((name) => name.toLowerCase() === 'autorun.inf');
    const revision = await resolveRevision(options);
    const epoch = process.env.SOURCE_DATE_EPOCH;
    const stampedAt = (epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : context.now()).toISOString();
    // The boot manager's CA, read from the media as they are now (docs/boot-media.md).
    const bootManager = await readBootManager(
      workspace.mediaDir,
      manifest.files.map((f) => f.path),
    );
    const info = buildInfoFrom({ ...manifest, bootManager }, { stampedAt, recipeRevision: revision, osmediaVersion: OSMEDIA_VERSION });

    const written: FileEntry[] = [];
    const renames: { from: string; to: string }[] = [];
    for (const [rel, content] of [
      [file, renderBuildText(info)],
      [twin, `${JSON.stringify(info, null, 2)}\n`],
    ] as const) {
      const temp = await workspace.tempPath(path.posix.basename(rel));
      await writeFile(temp, content);
      const s = await stat(temp);
      written.push({ path: rel, size: s.size, sha256: await hashFile(temp), mtimeMs: Math.trunc(s.mtimeMs) });
      renames.push({ from: temp, to: workspace.media(rel) });
    }
    // A re-stamp to another path removes the earlier build files, so no stale one is left behind.
    const previous = manifest.buildFile ? [manifest.buildFile.text, manifest.buildFile.json].filter((p) => p !== file && p !== twin) : [];
    const files = withFiles(manifest.files, written, [...autorun, ...previous]);
    for (const name of autorun) reporter.emit({ type: 'info', step: 'stamp-build-file', message: `removing ${name}` });
    return {
      manifest: { ...manifest, files, fingerprint: fingerprintFiles(files), buildFile: { text: file, json: twin }, bootManager },
      renames,
      deletes: [...autorun, ...previous].map((rel) => workspace.media(rel)),
      summary: { file, json: twin, build: info.build, removed: autorun, recipeRevision: revision },
      message: `build ${info.build}; wrote ${file}${autorun.length ? `; removed ${autorun.join(', ')}` : ''}`,
    };
  },
};
