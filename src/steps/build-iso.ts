// build-iso: the workspace media as a bootable ISO (src/media/boot/: iso.ts says how, boot-files.ts
// which boot manager). It writes outside the workspace and never changes the media, so it is an
// external step: it always runs, and never counts as a change of the media.
import path from 'node:path';
import { z } from 'zod';
import { buildIso } from '../media/boot/build-iso.ts';
import { BootManagerSchema } from '../media/boot/record.ts';
import type { Step } from './types.ts';

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

  async apply(context, manifest, options) {
    const result = await buildIso({
      workspace: context.workspace,
      reporter: context.reporter,
      wimlib: context.wimlib,
      output: path.resolve(options.output),
      bootManager: options.bootManager,
      splitSwmMiB: options.splitSwmMiB,
      locked: true,
    });
    for (const note of result.notes) context.reporter.emit({ type: 'info', step: 'build-iso', message: note });
    return {
      manifest,
      summary: { ...result },
      message: `wrote ${result.output} (${(result.size / 1024 ** 2).toFixed(1)} MiB, ${result.tool}; boot manager ${result.bootManager}; UEFI boot image ${result.efiImage})`,
    };
  },
};
