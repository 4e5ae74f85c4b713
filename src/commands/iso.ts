// `osmedia build-iso`: a bootable ISO of the workspace media (docs/boot-media.md; the step is src/steps/build-iso.ts).
import { UsageError } from '../util/errors.ts';
import { runSingleStep, workspaceOption, type Command } from './shared.ts';

export const commands: Record<string, Command> = {
  'build-iso': {
    summary: "write a bootable ISO of the workspace media, laid out like Microsoft's (BIOS + UEFI El Torito, the imported volume label)",
    usage: 'osmedia build-iso --workspace DIR --output FILE.iso [--boot-manager 2023|keep] [--split-swm MIB]',
    options: {
      workspace: workspaceOption,
      output: { type: 'string', short: 'o', description: 'the ISO file to write (written beside it, then renamed into place)', placeholder: 'FILE' },
      'boot-manager': {
        type: 'string',
        description: 'keep (default: what the media carry) or 2023 (boot the Windows UEFI CA 2023 boot manager from boot.wim index 1)',
        placeholder: 'WHICH',
      },
      'split-swm': { type: 'string', description: 'split sources/install.wim into install.swm parts of MIB MiB inside the ISO, e.g. 4000', placeholder: 'MIB' },
    },
    run(values, _p, reporter) {
      const split = values['split-swm'] as string | undefined;
      if (split !== undefined && !/^\d+$/.test(split))
        throw new UsageError(`--split-swm ${split}`, { fix: 'A whole number of MiB below 4096, e.g. --split-swm 4000.' });
      const options = { output: values.output, bootManager: values['boot-manager'], splitSwmMiB: split === undefined ? undefined : Number(split) };
      return runSingleStep('build-iso', values, options, reporter, ['output']);
    },
  },
};
