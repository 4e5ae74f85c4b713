// build-iso: the workspace media as a bootable ISO (src/media/boot/: iso.ts says how, boot-files.ts
// which boot manager). It writes outside the workspace and never changes the media, so it is an
// external step: it always runs, and never counts as a change of the media.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { buildIso } from '../media/boot/build-iso.ts';
import { BootManagerSchema } from '../media/boot/record.ts';
import { chooseIsoTool } from '../media/boot/iso.ts';
import { UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { check } from './preflight.ts';
import type { Problem, Step } from './types.ts';

export const BuildIsoOptionsSchema = z.strictObject({
  /** The ISO to write; written beside it first, then renamed into place. */
  output: z
    .string()
    .min(1)
    .refine((p) => p.toLowerCase().endsWith('.iso'), 'an .iso file name')
    .meta({
      description: 'the ISO file to write (written beside it, then renamed into place)',
      flag: 'output',
      short: 'o',
      placeholder: 'FILE',
      example: 'D:\\iso\\win11-ent.iso',
    }),
  bootManager: BootManagerSchema,
  /** Split sources/install.wim into install.swm parts of this many MiB in the ISO (the workspace keeps install.wim). */
  splitSwmMiB: z.number().int().min(1).max(4095).optional().meta({
    description: 'split sources/install.wim into install.swm parts of this many MiB inside the ISO, e.g. 4000',
    flag: 'split-swm',
    placeholder: 'MIB',
  }),
});
export type BuildIsoOptions = z.infer<typeof BuildIsoOptionsSchema>;

/** Written beside the ISO: what it was made from, so an unchanged re-run does not rewrite gigabytes. */
const RECORD_SUFFIX = '.osmedia.json';

interface IsoRecord {
  fingerprint: string;
  bootManager: string;
  splitSwmMiB: number | null;
  size: number;
  mtimeMs: number;
}

async function readRecord(output: string): Promise<IsoRecord | undefined> {
  try {
    return JSON.parse(await readFile(`${output}${RECORD_SUFFIX}`, 'utf8')) as IsoRecord;
  } catch {
    return undefined;
  }
}

/** The ISO at the output was written from this media with these options, and is as it was left. */
async function upToDate(output: string, want: Omit<IsoRecord, 'size' | 'mtimeMs'>): Promise<boolean> {
  const record = await readRecord(output);
  const info = await stat(output).catch(() => undefined);
  if (!record || !info) return false;
  return (
    record.fingerprint === want.fingerprint &&
    record.bootManager === want.bootManager &&
    record.splitSwmMiB === want.splitSwmMiB &&
    record.size === info.size &&
    record.mtimeMs === Math.trunc(info.mtimeMs)
  );
}

export const buildIsoStep: Step<BuildIsoOptions> = {
  id: 'build-iso',
  title: 'Writing a bootable ISO',
  schema: BuildIsoOptionsSchema,
  effect: 'external',

  plan(manifest, options) {
    const manager = options.bootManager === '2023' ? 'the Windows UEFI CA 2023 boot manager (from boot.wim index 1)' : 'the boot manager the media carry';
    return [
      `write ${options.output}: El Torito BIOS (boot/etfsboot.com) + UEFI, ${manager}, label ${manifest?.source.volumeLabel ?? '(none)'}${options.splitSwmMiB ? `, install.wim split into ${options.splitSwmMiB} MiB install.swm parts` : ''}`,
    ];
  },

  /** Checks that need no change, made before the run's first step: the ISO tool, and a folder the ISO can go in. */
  async preflight(_context, _before, options) {
    const problems: Problem[] = [];
    await check('build-iso', problems, () => chooseIsoTool());
    await check('build-iso', problems, async () => {
      // The nearest existing ancestor of the output must be a folder (the rest is created).
      let dir = path.dirname(path.resolve(options.output));
      for (;;) {
        const info = await stat(dir).catch(() => undefined);
        if (info) {
          if (!info.isDirectory())
            throw new UsageError(`The ISO ${options.output} cannot be written: ${dir} is a file, not a folder`, {
              fix: 'Choose an output path in a folder (iso.output / --output).',
            });
          return;
        }
        const parent = path.dirname(dir);
        if (parent === dir) return;
        dir = parent;
      }
    });
    return { problems };
  },

  async apply(context, manifest, options) {
    const output = path.resolve(options.output);
    const want = { fingerprint: manifest.fingerprint, bootManager: options.bootManager, splitSwmMiB: options.splitSwmMiB ?? null };
    if (!context.force && (await upToDate(output, want))) {
      const message = `${output} is up to date (written from this media with these options); nothing written`;
      return { manifest, summary: { output, unchanged: true }, message, unchanged: true };
    }
    const result = await buildIso({
      workspace: context.workspace,
      reporter: context.reporter,
      wimlib: context.wimlib,
      output,
      manifest,
      bootManager: options.bootManager,
      splitSwmMiB: options.splitSwmMiB,
      locked: true,
    });
    for (const note of result.notes) context.reporter.emit({ type: 'info', step: 'build-iso', message: note });
    const written = await stat(output);
    await writeFileAtomic(`${output}${RECORD_SUFFIX}`, `${JSON.stringify({ ...want, size: written.size, mtimeMs: Math.trunc(written.mtimeMs) }, null, 2)}\n`);
    return {
      manifest,
      summary: { ...result },
      message: `wrote ${result.output} (${(result.size / 1024 ** 2).toFixed(1)} MiB, ${result.tool}; boot manager ${result.bootManager}; UEFI boot image ${result.efiImage})`,
    };
  },
};
