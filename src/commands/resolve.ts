// `osmedia updates resolve`: the month's update files, found and pinned in the lock file beside the recipe.
import { ExitCode, UsageError } from '../util/errors.ts';
import type { Command } from './shared.ts';

export const commands: Record<string, Command> = {
  updates: {
    summary: "updates resolve: find the month's update files for a recipe and pin them in its lock file (--check: exit 1 if out of date)",
    usage: 'osmedia updates resolve --recipe FILE [--source folder] [--root DIR] [--month YYYY-MM|latest] [--check] [--architecture A --build V]',
    positionals: 'resolve',
    options: {
      recipe: {
        type: 'string',
        short: 'r',
        description: 'the recipe file (YAML); the lock is written beside it (osmedia.yml → osmedia.lock.json)',
        placeholder: 'FILE',
      },
      source: {
        type: 'string',
        description: "where the updates come from (default the recipe's updates.source, else folder; only folder is built)",
        placeholder: 'TYPE',
      },
      root: {
        type: 'string',
        description: "folder source: the tree of months (default the recipe's updates.root, else updates/ beside it)",
        placeholder: 'DIR',
      },
      month: { type: 'string', description: "the month to resolve, YYYY-MM or latest (default the recipe's updates.month, else latest)", placeholder: 'MONTH' },
      check: { type: 'boolean', description: 'write nothing; exit 1 when the lock file is missing or out of date (a pull-request check)' },
      architecture: { type: 'string', description: "the media's architecture (with --build), instead of inspecting the recipe's media", placeholder: 'ARCH' },
      build: { type: 'string', description: "the media's version, e.g. 10.0.26100.1742 (with --architecture)", placeholder: 'VERSION' },
    },
    async run(values, positionals, reporter) {
      if (positionals.length !== 1 || positionals[0] !== 'resolve') {
        throw new UsageError(`osmedia updates takes one sub-command, resolve${positionals.length ? ` (not "${positionals.join(' ')}")` : ''}`, {
          fix: 'Run `osmedia updates resolve --recipe osmedia.yml`.',
        });
      }
      const { mergeArgs } = await import('./shared.ts');
      const { resolveUpdates, renderResolve } = await import('../resolve/resolve.ts');
      const args = mergeArgs(values.fileArgs ?? {}, {
        recipe: values.recipe,
        source: values.source,
        root: values.root,
        month: values.month,
        check: values.check,
        architecture: values.architecture,
        build: values.build,
      });
      if (typeof args.recipe !== 'string') throw new UsageError('--recipe is required', { fix: 'Pass --recipe FILE (or "recipe" in the --args-file).' });
      const str = (k: string) => (typeof args[k] === 'string' ? args[k] : undefined);
      const check = args.check === true;
      const result = await resolveUpdates({
        recipe: args.recipe,
        source: str('source'),
        root: str('root'),
        month: str('month'),
        architecture: str('architecture'),
        build: str('build'),
        check,
        reporter,
      });
      return {
        result: { ...result, check, upToDate: !result.changed },
        text: renderResolve(result, check),
        exitCode: check && result.changed ? ExitCode.failure : ExitCode.ok,
      };
    },
  },
};
