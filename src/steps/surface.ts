// Each step's whole surface, from the meta on its zod fields (src/steps/fields.ts): its options
// schema, the flags of its command that are not options (dry runs, engine, force), and the inputs
// only a host knows. The CLI, the Action, scripts/gen.ts (action.yml, Jenkins help) and the recipe
// JSON Schema read this and nothing else, so they cannot drift.
import { z } from 'zod';
import { ApplyUpdatesFlags, ApplyUpdatesOptionsSchema } from './apply-updates.ts';
import { BuildIsoOptionsSchema } from './build-iso.ts';
import { DistributeFlags, DistributeOptionsSchema } from './distribute.ts';
import { fieldsOf, onHost, workspaceField, type Field, type Host } from './fields.ts';
import { TaskSequenceOptionsSchema } from './generate-task-sequence.ts';
import { ImportFlags, ImportOptionsSchema } from './import-media.ts';
import { StampFlags, StampOptionsSchema } from './stamp-build-file.ts';
import { StripFlags, StripOptionsSchema } from './strip-indexes.ts';
import type { StepId } from './types.ts';

export interface StepSurface {
  id: StepId;
  /** One line: --help, the command list, the Jenkins help's first line. */
  summary: string;
  /** The step's options (what is recorded and decides a skip). */
  options: z.ZodType;
  /** Flags of its command that are not step options. */
  flags: z.ZodObject;
  /** Action inputs only the Action has (cache and artifacts), declared in src/action/inputs.ts. */
  hostInputs: readonly string[];
}

/** The workspace, given to every step by its host. */
export const CommonFlags = z.object({ workspace: workspaceField() });

export const surfaces: Record<StepId, StepSurface> = {
  'import-media': {
    id: 'import-media',
    summary: 'import an ISO or an extracted media folder into a workspace (the source is never modified)',
    options: ImportOptionsSchema,
    flags: ImportFlags,
    hostInputs: ['cache'],
  },
  'strip-indexes': {
    id: 'strip-indexes',
    summary: 'keep only the chosen editions in install.wim',
    options: StripOptionsSchema,
    flags: StripFlags,
    hostInputs: [],
  },
  'apply-updates': {
    id: 'apply-updates',
    summary: "apply update packages (.msu/.cab) in Microsoft's servicing order, verified: WinRE, install.wim, boot.wim, media",
    options: ApplyUpdatesOptionsSchema,
    flags: ApplyUpdatesFlags,
    hostInputs: ['cache'],
  },
  'stamp-build-file': {
    id: 'stamp-build-file',
    summary: 'remove autorun.inf and write the build file (text + JSON) onto the media',
    options: StampOptionsSchema,
    flags: StampFlags,
    hostInputs: [],
  },
  'build-iso': {
    id: 'build-iso',
    summary: "write a bootable ISO of the workspace media, laid out like Microsoft's (BIOS + UEFI El Torito, the imported volume label)",
    options: BuildIsoOptionsSchema,
    flags: z.object({}),
    hostInputs: [],
  },
  distribute: {
    id: 'distribute',
    summary:
      'publish the workspace media to package source folders, verified (versioned or mirror layout); with a site, create or repoint the OS upgrade package and distribute it',
    options: DistributeOptionsSchema,
    flags: DistributeFlags,
    hostInputs: [],
  },
  'generate-task-sequence': {
    id: 'generate-task-sequence',
    summary: 'write the in-place upgrade task sequence (ConfigMgr XML) for this media, checked against the manifest',
    options: TaskSequenceOptionsSchema,
    flags: z.object({}),
    hostInputs: [],
  },
};

/** A step's fields: the workspace, its options, then its other flags (in the order --help lists them). */
export function stepFields(id: StepId): { common: Field[]; options: Field[]; flags: Field[] } {
  const surface = surfaces[id];
  return { common: fieldsOf(CommonFlags), options: fieldsOf(surface.options), flags: fieldsOf(surface.flags) };
}

/** The fields of a step a host shows, as one list. */
export function hostFields(id: StepId, host: Host): Field[] {
  const { common, options, flags } = stepFields(id);
  return [...common, ...options, ...flags].filter((f) => onHost(f, host));
}

/** The --args-file keys of a step (recipe keys of its options, and its flags' keys). */
export function argsFileKeys(id: StepId): string[] {
  const { common, flags } = stepFields(id);
  return [...new Set([...[...common, ...flags].map((f) => f.path[0]!), ...Object.keys((surfaces[id].options as z.ZodObject).shape)])];
}

const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** --args-file keys that name an option by its flag ("updates" for "from", "target" for "targets"),
 *  as people coming from the CLI write them: key → option key. Not for flags that invert or wrap. */
export function argsAliases(id: StepId): Map<string, string> {
  return new Map(
    stepFields(id)
      .options.filter((f) => f.path.length === 1 && f.meta.flag && !f.meta.negate && !f.meta.item && camel(f.meta.flag) !== f.path[0])
      .map((f) => [camel(f.meta.flag!), f.path[0]!]),
  );
}

/** The command line shown in --help, from the fields: required flags plainly, the rest in brackets. */
export function usageLine(id: StepId): string {
  const fields = hostFields(id, 'cli');
  const part = (f: Field) => {
    const value = f.kind === 'boolean' ? '' : ` ${f.meta.placeholder ?? 'VALUE'}`;
    const repeat = f.kind === 'list' ? ` [--${f.meta.flag} …]` : '';
    return `--${f.meta.flag}${value}${f.required ? repeat : f.kind === 'list' ? ' …' : ''}`;
  };
  const parts = fields.map((f) => (f.required ? part(f) : `[${part(f)}]`));
  return `osmedia ${id} ${parts.join(' ')}`;
}

/** The example command of a "--x is required" message. */
export function exampleLine(id: StepId, missing: Field): string {
  const parent = missing.path.slice(0, -1).join('.');
  const fields = hostFields(id, 'cli').filter(
    (f) => f.required || f.path.join('.') === missing.path.join('.') || (parent && f.requiredInParent && f.path.slice(0, -1).join('.') === parent),
  );
  return `osmedia ${id} ${fields.map((f) => `--${f.meta.flag}${f.kind === 'boolean' ? '' : ` ${f.meta.example ?? f.meta.placeholder ?? 'VALUE'}`}`).join(' ')}`;
}
