// `osmedia build-iso`: a bootable ISO of the workspace media (docs/boot-media.md).
import { UsageError } from '../util/errors.ts';
import { requireValue, workspaceOption, type Command } from './shared.ts';

export const commands: Record<string, Command> = {
  'build-iso': {
    summary: "write a bootable ISO of the workspace media, laid out like Microsoft's (BIOS + UEFI El Torito, the imported volume label)",
    usage: 'osmedia build-iso --workspace DIR --output FILE.iso [--boot-manager 2023|keep] [--split-swm MIB]',
    options: {
      workspace: workspaceOption,
      output: { type: 'string', short: 'o', description: 'the ISO to write (written beside it, then renamed into place)', placeholder: 'FILE' },
      'boot-manager': {
        type: 'string',
        description: 'keep (default: what the media carry) or 2023 (boot the Windows UEFI CA 2023 boot manager from boot.wim index 1)',
        placeholder: 'WHICH',
      },
      'split-swm': { type: 'string', description: 'split sources/install.wim into install.swm parts of MIB MiB in the ISO (e.g. 4000)', placeholder: 'MIB' },
    },
    async run(values, _p, reporter) {
      const args = { ...(values.fileArgs ?? {}) } as Record<string, unknown>;
      const workspaceDir = (values.workspace as string | undefined) ?? (args.workspace as string | undefined);
      if (!workspaceDir) throw new UsageError('--workspace is required', { fix: 'Pass --workspace DIR (see --help).' });
      const output = (values.output as string | undefined) ?? (args.output as string | undefined) ?? requireValue(values, 'output');
      const bootManager = (values['boot-manager'] as string | undefined) ?? (args.bootManager as string | undefined) ?? 'keep';
      if (bootManager !== '2023' && bootManager !== 'keep') throw new UsageError(`--boot-manager ${bootManager}`, { fix: 'Pass --boot-manager 2023 or keep.' });
      const splitRaw = (values['split-swm'] as string | undefined) ?? (args.splitSwmMiB as string | number | undefined);
      const splitSwmMiB = splitRaw === undefined ? undefined : Number(splitRaw);
      if (splitSwmMiB !== undefined && (!Number.isInteger(splitSwmMiB) || splitSwmMiB < 1 || splitSwmMiB > 4095))
        throw new UsageError(`--split-swm ${splitRaw}`, { fix: 'A whole number of MiB below 4096, e.g. --split-swm 4000.' });
      const { Workspace } = await import('../media/workspace.ts');
      const { WimlibEngine } = await import('../imaging/wimlib.ts');
      const { buildIso } = await import('../media/boot/build-iso.ts');
      const result = await buildIso({ workspace: new Workspace(workspaceDir), reporter, wimlib: new WimlibEngine(), output, bootManager, splitSwmMiB });
      const text = [
        `build-iso: wrote ${result.output} (${(result.size / 1024 ** 2).toFixed(1)} MiB) with ${result.tool}`,
        `  label ${result.label}; boot manager ${result.bootManager}; UEFI boot image ${result.efiImage}`,
        ...result.largeFiles.map((f) => `  ${f.path}: ${(f.size / 1024 ** 3).toFixed(2)} GiB, ${f.stored}`),
        ...result.notes.map((n) => `  ${n}`),
      ].join('\n');
      return { result, text };
    },
  },
};
