// One declaration per option: the zod field carries its surface in `.meta({...})`, and the CLI
// parser and --help, the action.yml inputs, the recipe JSON Schema, the --args-file keys and the
// Jenkins parameter lists are all derived from it (src/steps/surface.ts, scripts/gen.ts). Adding an
// option is one change: a field with its meta in the step's schema. See docs/architecture.md.
import { z } from 'zod';

/** The front ends an option can appear on. The recipe and --args-file use the field's key. */
export type Host = 'cli' | 'action' | 'jenkins';

export interface FieldMeta {
  /** Help text: --help, the action.yml input description, the JSON Schema description, Jenkins help. */
  description: string;
  /** The CLI flag and the Action input (one name, kebab-case). Without it the option is recipe/args-file only. */
  flag?: string;
  short?: string;
  /** Shown after the flag in --help (DIR, FILE, N…). */
  placeholder?: string;
  /** An example value, used in "--x is required" messages. */
  example?: string;
  /** Where the flag exists; default every host. A CLI-only review flag (--dry-run) says ['cli', 'jenkins']. */
  hosts?: Host[];
  /** A boolean flag that sets the field to false (--no-cleanup for cleanup). */
  negate?: boolean;
  /** A list of objects given as strings: each value becomes { [item]: value } (--update FILE → files[].path). */
  item?: string;
  /** List values may also be comma-separated (selectors). */
  commaList?: boolean;
  /** Supplied by the host when not given: the Action reads this environment variable (GITHUB_SHA). */
  actionEnv?: string;
  /** Former Action input names, still read (with a warning) so existing workflows keep working. */
  formerInputs?: string[];
  /** A name only a host knows (cache, artifacts, token): an Action input with no CLI flag. */
  hostOnly?: boolean;
}

/** The keys of FieldMeta that are ours, not JSON Schema's (stripped from the recipe's JSON Schema). */
export const META_KEYS = ['flag', 'short', 'placeholder', 'example', 'hosts', 'negate', 'item', 'commaList', 'actionEnv', 'formerInputs', 'hostOnly'] as const;

export type Kind = 'string' | 'number' | 'boolean' | 'list';

/** A field found in a schema: where it goes in the options, how it is given, what it says. */
export interface Field {
  /** Path in the options object (['site', 'siteCode']). */
  path: string[];
  meta: FieldMeta;
  kind: Kind;
  /** Required: no default, not optional, and so are its parents. */
  required: boolean;
  /** Required once its parent is given (site.provider when there is a site). */
  requiredInParent: boolean;
  /** The zod default, if any. */
  defaultValue?: unknown;
}

/** A list option that also accepts a single value: `keep: Enterprise` is `keep: [Enterprise]`. */
export function list<T extends z.ZodType>(item: T, min?: string) {
  const array = min ? z.array(item).min(1, min) : z.array(item);
  return z.union([item, array]).transform((v): z.output<T>[] => (Array.isArray(v) ? (v as z.output<T>[]) : [v as z.output<T>]));
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
}
const def = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The meta of a field, looking through optional/default/transform wrappers. */
export function metaOf(schema: z.ZodType): FieldMeta | undefined {
  for (let s: z.ZodType | undefined = schema; s;) {
    const meta = s.meta() as FieldMeta | undefined;
    if (meta?.description) return meta;
    const d = def(s);
    s = d.innerType ?? d.in;
  }
  return undefined;
}

export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  for (let s: z.ZodType | undefined = schema; s;) {
    const d = def(s);
    if (d.type === 'object') return (s as z.ZodObject).shape;
    s = d.innerType ?? d.in;
  }
  return undefined;
}

function kindOf(schema: z.ZodType): Kind {
  const d = def(schema);
  switch (d.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return kindOf(d.innerType!);
    case 'pipe':
      return kindOf(d.in!);
    case 'union':
      return d.options!.some((o) => kindOf(o) === 'list') ? 'list' : kindOf(d.options![0]!);
    case 'array':
      return 'list';
    case 'boolean':
    case 'literal':
      return 'boolean';
    case 'number':
      return 'number';
    default:
      return 'string';
  }
}

function optionality(schema: z.ZodType): { required: boolean; defaultValue?: unknown } {
  const d = def(schema);
  if (d.type === 'optional') return { required: false };
  if (d.type === 'default' || d.type === 'prefault') return { required: false, defaultValue: d.defaultValue };
  return { required: true };
}

/** Every field with meta in an object schema, nested objects without meta of their own walked into. */
export function fieldsOf(schema: z.ZodType, prefix: string[] = [], parentRequired = true): Field[] {
  const shape = shapeOf(schema) ?? {};
  return Object.entries(shape).flatMap(([key, field]) => {
    const meta = metaOf(field);
    const { required, defaultValue } = optionality(field);
    if (meta?.flag !== undefined || (meta && !shapeOf(field))) {
      return [{ path: [...prefix, key], meta, kind: kindOf(field), required: required && parentRequired, requiredInParent: required, defaultValue }];
    }
    return shapeOf(field) ? fieldsOf(field, [...prefix, key], required && parentRequired) : [];
  });
}

export const onHost = (field: Field, host: Host) =>
  field.meta.flag !== undefined && !field.meta.hostOnly && (field.meta.hosts ?? ['cli', 'action', 'jenkins']).includes(host);

/** Converts what a front end read for a field into the option value (undefined: not given). */
export function valueOf(field: Field, raw: string | boolean | string[] | undefined): unknown {
  if (raw === undefined || raw === '') return undefined;
  if (field.kind === 'boolean') return field.meta.negate ? (raw === true ? false : undefined) : raw;
  if (field.kind === 'number') return typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (field.kind === 'list') {
    const values = (Array.isArray(raw) ? raw : [String(raw)]).flatMap((v) => (field.meta.commaList ? v.split(',') : [v])).map((v) => v.trim());
    const items = values.filter(Boolean);
    if (items.length === 0) return undefined;
    return field.meta.item ? items.map((v) => ({ [field.meta.item!]: v })) : items;
  }
  return raw;
}

/** Sets a value at a path, making the parents it needs. */
export function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

export function getPath(source: unknown, keys: readonly PropertyKey[]): unknown {
  let node = source;
  for (const key of keys) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/** Builds options from the fields a front end can read (flags, inputs); fields not given are left out. */
export function buildOptions(fields: Field[], read: (field: Field) => string | boolean | string[] | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const field of fields) {
    const value = valueOf(field, read(field));
    if (value !== undefined) setPath(options, field.path, value);
  }
  return options;
}

/** --workspace: every step has it (a host-level option, not a step option). */
export const workspaceField = () =>
  z.string().min(1).meta({
    flag: 'workspace',
    short: 'w',
    placeholder: 'DIR',
    example: 'D:\\osmedia\\win11',
    description: 'the workspace folder (holds media/ and osmedia-manifest.json)',
  });

/** --engine: the WIM engine of a step that reads or writes WIMs. */
/** --dry-run (-n): a review flag of the CLI and Jenkins, never recorded; the description says what it shows. */
export const dryRunField = (description: string) =>
  z
    .boolean()
    .optional()
    .meta({ flag: 'dry-run', short: 'n', hosts: ['cli', 'jenkins'], description });

export const engineField = (description = 'WIM engine: wimlib (default) or dism (Windows only)') =>
  z.enum(['wimlib', 'dism']).optional().meta({ flag: 'engine', placeholder: 'NAME', description });
