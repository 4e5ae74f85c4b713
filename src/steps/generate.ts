// The files generated from the steps' surfaces (src/steps/surface.ts): the inputs of every
// action.yml, the parameter list of every Jenkins step's help (jenkins/vars/*.txt) and the
// parameter data file the Jenkins library can read. `npm run gen` writes them;
// test/steps/generate.test.ts checks that the committed files are what this makes.
import type { z } from 'zod';
import { HostInputs, Inputs } from '../action/inputs.ts';
import { metaOf, onHost, shapeOf, type Field } from './fields.ts';
import { argsAliases, argsFileKeys, hostFields, stepFields, surfaces } from './surface.ts';
import type { StepId } from './types.ts';

const STEPS = Object.keys(surfaces) as StepId[];

/** Jenkins step names: osmediaImportMedia for import-media. */
export const jenkinsName = (id: StepId) => `osmedia${id.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase())}`;

/** Keys only the Jenkins library knows (osmediaCli.groovy takes them out before calling osmedia). */
export const JenkinsHostParameters: Record<string, string> = {
  shell: "Windows agents: 'bat' (default) or 'powershell'",
};

/** Host parameters of one Jenkins step only (jenkins/vars/osmediaCli.groovy refuses them elsewhere). */
const JenkinsStepParameters: Partial<Record<StepId, Record<string, string>>> = {
  distribute: {
    credentialsId:
      "a Jenkins username/password credential: on Windows agents each target's \\\\server\\share is connected with it for the length of the command and disconnected after (jenkins/README.md; on Linux agents mount the share first)",
  },
};

const sentence = (text: string) => {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return t.endsWith('.') ? t : `${t}.`;
};

/** Help text written for the CLI, said the way a host names things: `--site-code` is the input
 *  site-code in an action.yml and the key siteCode in Jenkins; a repeatable flag is one value per line. */
export function forHost(text: string, host: 'action' | 'jenkins', keyOfFlag: (flag: string) => string | undefined = () => undefined): string {
  const named = text.replace(/--([a-z0-9][a-z0-9-]*)/g, (whole, flag: string) => (host === 'action' ? flag : (keyOfFlag(flag) ?? whole)));
  return host === 'action' ? named.replace(/\(repeatable\)|; repeatable\b/g, (m) => (m.startsWith(';') ? ', one per line' : '(one per line)')) : named;
}

/** Every flag of every step → its key (the last part of its path), for Jenkins help. */
function keyOfFlag(flag: string): string | undefined {
  for (const id of STEPS) {
    const { common, options, flags } = stepFields(id);
    const f = [...common, ...options, ...flags].find((x) => x.meta.flag === flag);
    if (f) return f.meta.negate ? undefined : f.path.at(-1);
  }
  return undefined;
}

interface Input {
  name: string;
  description: string;
  required: boolean;
  default?: string;
}

function renderInputs(inputs: Input[]): string {
  const lines = ['inputs:'];
  for (const i of inputs) {
    lines.push(`  ${i.name}:`, `    description: ${JSON.stringify(sentence(i.description))}`, `    required: ${i.required}`);
    if (i.default !== undefined) lines.push(`    default: '${i.default}'`);
  }
  return `${lines.join('\n')}\n`;
}

const fromField = (f: Field, prefix = ''): Input => ({
  name: f.meta.flag!,
  description: prefix + forHost(f.meta.description, 'action'),
  required: prefix ? false : f.required,
});
const hostInput = (name: string): Input => ({ name, description: HostInputs[name]!.description, required: false, default: HostInputs[name]!.default });

/** The inputs of actions/<step>/action.yml: the step's flags, then the inputs only the Action has. */
export function subActionInputs(id: StepId): string {
  const flags = hostFields(id, 'action').map((f) => fromField(f));
  return renderInputs([...flags, ...[...surfaces[id].hostInputs, Inputs.artifacts, Inputs.artifactName].map(hostInput)]);
}

/** The inputs of the top-level action.yml: a recipe or a step, then every step's inputs (each name once). */
export function topActionInputs(): string {
  const byName = new Map<string, { field: Field; steps: StepId[] }>();
  for (const id of STEPS) {
    for (const f of hostFields(id, 'action')) {
      const name = f.meta.flag!;
      if (name === Inputs.workspace) continue;
      const seen = byName.get(name);
      if (seen && seen.field.meta.description !== f.meta.description && !seen.field.path.includes('engine'))
        throw new Error(`Input ${name} means two things (${seen.steps.join(', ')} and ${id}): give one of them another flag`);
      if (seen) seen.steps.push(id);
      else byName.set(name, { field: f, steps: [id] });
    }
  }
  const steps = [...byName.values()].filter((s) => s.field.meta.flag !== Inputs.force);
  return renderInputs([
    hostInput(Inputs.recipe),
    hostInput(Inputs.step),
    { name: Inputs.workspace, required: false, description: 'The workspace folder. With a recipe, overrides its `workspace`; required for a single step' },
    {
      name: Inputs.force,
      required: false,
      default: 'false',
      description: 'Rebuild from the source even when nothing changed (recipe), or replace existing media (import-media)',
    },
    ...steps.map((s) => fromField(s.field, `${s.steps.length > 2 ? 'steps with WIMs' : s.steps.join(', ')}: `)),
    hostInput(Inputs.cache),
    hostInput(Inputs.artifacts),
    hostInput(Inputs.artifactName),
  ]);
}

/** Replaces the `inputs:` block of an action.yml (up to the next top-level key), leaving the rest as written. */
export function spliceInputs(yml: string, inputs: string): string {
  const match = /^inputs:\n(?:(?:[ \t].*|)\n)*?(?=^\S)/m.exec(yml);
  if (!match) throw new Error('no inputs: block followed by another top-level key');
  return yml.slice(0, match.index) + inputs + (inputs.endsWith('\n\n') ? '' : '\n') + yml.slice(match.index + match[0].length);
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The <li> items of a Jenkins step's keys, nested objects (site) as nested lists. */
function jenkinsItems(schema: z.ZodType, indent: string, aliases: Map<string, string>): string[] {
  const shape = shapeOf(schema) ?? {};
  return Object.entries(shape).flatMap(([key, field]) => {
    const meta = metaOf(field);
    if (!meta) return [];
    const required = !shapeOf(field) && !field.safeParse(undefined).success;
    const also = aliases.get(key) ? ` (or <code>${aliases.get(key)}</code>)` : '';
    const head = `${indent}<li><code>${key}</code>${also}${required ? ' (required)' : ''}: ${html(forHost(meta.description, 'jenkins', keyOfFlag))}`;
    if (!shapeOf(field)) return [`${head}</li>`];
    return [head, `${indent}  <ul>`, ...jenkinsItems(field, `${indent}    `, new Map()), `${indent}  </ul>`, `${indent}</li>`];
  });
}

/** The parameter list of jenkins/vars/<step>.txt (between the osmedia:parameters markers). */
export function jenkinsParameters(id: StepId): string {
  const { common, flags } = stepFields(id);
  const aliases = new Map([...argsAliases(id)].map(([alias, key]) => [key, alias]));
  const extra = [...common, ...flags].filter((f) => onHost(f, 'jenkins'));
  const lines = [
    '<ul>',
    ...extra
      .filter((f) => f.path[0] === 'workspace')
      .map((f) => `  <li><code>workspace</code> (required): ${html(forHost(f.meta.description, 'jenkins', keyOfFlag))}</li>`),
    ...jenkinsItems(surfaces[id].options, '  ', aliases),
    ...extra
      .filter((f) => f.path[0] !== 'workspace')
      .map((f) => `  <li><code>${f.path[0]}</code>: ${html(forHost(f.meta.description, 'jenkins', keyOfFlag))}</li>`),
    ...Object.entries({ ...JenkinsStepParameters[id], ...JenkinsHostParameters }).map(([k, d]) => `  <li><code>${k}</code>: ${html(d)}</li>`),
    '</ul>',
  ];
  return lines.join('\n');
}

export const MARK_START = '<!-- osmedia:parameters (generated by npm run gen from the step schema; do not edit) -->';
export const MARK_END = '<!-- /osmedia:parameters -->';

export function spliceJenkins(txt: string, id: StepId): string {
  const start = txt.indexOf(MARK_START);
  const end = txt.indexOf(MARK_END);
  if (start < 0 || end < start) throw new Error(`jenkins/vars/${jenkinsName(id)}.txt has no ${MARK_START} … ${MARK_END} block`);
  return `${txt.slice(0, start + MARK_START.length)}\n${jenkinsParameters(id)}\n${txt.slice(end)}`;
}

/** The data file the Jenkins library can read (libraryResource 'osmedia/parameters.json'). */
export function jenkinsData(): string {
  const data = Object.fromEntries(
    STEPS.map((id) => [
      jenkinsName(id),
      {
        command: id,
        keys: [...argsFileKeys(id), ...Object.keys({ ...JenkinsStepParameters[id], ...JenkinsHostParameters })],
        required: [
          'workspace',
          ...stepFields(id)
            .options.filter((f) => f.required)
            .map((f) => f.path.join('.')),
        ],
      },
    ]),
  );
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Every generated file: path (relative to the repository) → how to make its new text from the old one. */
export function generatedFiles(): Record<string, (old: string) => string> {
  const files: Record<string, (old: string) => string> = { 'action.yml': (old) => spliceInputs(old, topActionInputs()) };
  for (const id of STEPS) {
    files[`actions/${id}/action.yml`] = (old) => spliceInputs(old, subActionInputs(id));
    files[`jenkins/vars/${jenkinsName(id)}.txt`] = (old) => spliceJenkins(old, id);
  }
  files['jenkins/resources/osmedia/parameters.json'] = () => jenkinsData();
  return files;
}
