// Commands that look at media or shares without a workspace step: verify, inspect, sample.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, UsageError } from '../util/errors.ts';
import { engineOption, requireValue, type Command } from './shared.ts';

export const commands: Record<string, Command> = {
  verify: {
    summary: 'check a published copy against its manifest: missing, changed and extra files (exit 1 if any)',
    usage: 'osmedia verify --target DIR [--version VERSION | --all]',
    options: {
      target: { type: 'string', short: 't', description: 'the target folder given to distribute', placeholder: 'DIR' },
      version: { type: 'string', description: 'versioned layout: the version to check (default: the current one)', placeholder: 'VERSION' },
      all: { type: 'boolean', description: 'versioned layout: check every published version, not only the current one' },
    },
    async run(values, _p, reporter) {
      const { verifyAllVersions, verifyTarget, renderVerify } = await import('../distribute/verify.ts');
      if (values.all) {
        if (values.version) throw new UsageError('--all and --version do not go together', { fix: 'Pass one of them.' });
        const results = await verifyAllVersions(requireValue(values, 'target'), reporter);
        const ok = results.every((r) => r.ok);
        return { result: { ok, versions: results }, text: results.map(renderVerify).join('\n'), exitCode: ok ? ExitCode.ok : ExitCode.failure };
      }
      const result = await verifyTarget(requireValue(values, 'target'), values.version as string | undefined, reporter);
      return { result, text: renderVerify(result), exitCode: result.ok ? ExitCode.ok : ExitCode.failure };
    },
  },
  inspect: {
    summary: 'show the images inside an ISO, a media folder, a workspace or a WIM (read-only)',
    usage: 'osmedia inspect PATH [--engine wimlib|dism] [--json]',
    positionals: 'PATH',
    options: { engine: engineOption },
    async run(values, positionals) {
      if (positionals.length !== 1) throw new UsageError('inspect takes exactly one PATH', { fix: 'Pass an ISO, a media folder, a workspace or a WIM file.' });
      const { inspectPath, renderInspection } = await import('../media/inspect.ts');
      const { SevenZip } = await import('../imaging/sevenzip.ts');
      const { chooseEngine } = await import('../context.ts');
      // The same engine as the steps: wimlib, or DISM on Windows without it (or as --engine says).
      const inspection = await inspectPath(positionals[0]!, { engine: chooseEngine(values.engine as string | undefined), sevenZip: new SevenZip() });
      return { result: inspection, text: renderInspection(inspection) };
    },
  },
  sample: {
    summary: 'build sample Windows-shaped media (real WIMs and a UDF ISO) to try osmedia on',
    usage: 'osmedia sample --out DIR [--editions N] [--payload-mib N] [--install-kind wim|esd|swm]',
    options: {
      out: { type: 'string', short: 'o', description: 'folder to build in (media/ and an ISO)', placeholder: 'DIR' },
      editions: { type: 'string', description: 'how many editions install.wim holds (1–5, default 4)', placeholder: 'N' },
      'payload-mib': { type: 'string', description: 'MiB of incompressible data per edition (default 0)', placeholder: 'N' },
      'install-kind': { type: 'string', description: 'wim (default), esd or swm', placeholder: 'KIND' },
    },
    async run(values, _p, reporter) {
      const out = path.resolve(requireValue(values, 'out'));
      const editions = Number(values.editions ?? 4);
      if (!Number.isInteger(editions) || editions < 1 || editions > 5)
        throw new UsageError('--editions must be a whole number from 1 to 5', { fix: 'For example --editions 4.' });
      const kind = (values['install-kind'] as string | undefined) ?? 'wim';
      if (!['wim', 'esd', 'swm'].includes(kind)) throw new UsageError('--install-kind must be wim, esd or swm', { fix: 'For example --install-kind esd.' });
      const { buildSampleMedia, SAMPLE_EDITIONS } = await import('../sample/sample-media.ts');
      await mkdir(out, { recursive: true });
      reporter.emit({ type: 'info', message: `building sample media in ${out}` });
      const sample = await buildSampleMedia({
        dir: out,
        editions: SAMPLE_EDITIONS.slice(0, editions),
        payloadBytes: Number(values['payload-mib'] ?? 0) * 1024 * 1024,
        installKind: kind as 'wim',
      });
      return { result: sample, text: `sample media: ${sample.mediaDir}\nsample ISO:   ${sample.isoPath}` };
    },
  },
};
