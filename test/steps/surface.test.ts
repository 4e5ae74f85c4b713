// Each step's surface comes from one declaration (the meta on its zod fields): the committed
// action.yml inputs and Jenkins help are what `npm run gen` makes; every sub-action input is a
// flag of its step and back; the recipe JSON Schema carries the help text and nothing of the CLI.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { HostInputs } from '../../src/action/inputs.ts';
import { commandHelp, main } from '../../src/cli.ts';
import { commands } from '../../src/commands/steps.ts';
import { recipeJsonSchema } from '../../src/recipe/load.ts';
import { buildOptions, fieldsOf, META_KEYS } from '../../src/steps/fields.ts';
import { generatedFiles, spliceInputs } from '../../src/steps/generate.ts';
import { hostFields, surfaces } from '../../src/steps/surface.ts';
import type { StepId } from '../../src/steps/types.ts';
import { repoRoot } from '../helpers.ts';

const STEPS = Object.keys(surfaces) as StepId[];
const inputsOf = async (file: string) =>
  Object.keys((parseYaml(await readFile(path.join(repoRoot, file), 'utf8')) as { inputs: Record<string, unknown> }).inputs);

describe('step surfaces', () => {
  it('the committed action.yml inputs and Jenkins parameter lists are what npm run gen makes', async () => {
    const stale: string[] = [];
    for (const [file, make] of Object.entries(generatedFiles())) {
      const old = await readFile(path.join(repoRoot, file), 'utf8');
      if (make(old) !== old) stale.push(file);
    }
    expect(stale, 'run `npm run gen` and commit the result').toEqual([]);
  });

  it('every sub-action input is a flag of its step, and back, except host-only names and review flags', async () => {
    // The only flags without an input: the review modes, which print and change nothing (CLI and Jenkins).
    const cliOnly: Record<string, string[]> = { 'apply-updates': ['dry-run'], distribute: ['dry-run', 'emit-scripts', 'site-state'] };
    for (const step of STEPS) {
      const inputs = await inputsOf(`actions/${step}/action.yml`);
      const flags = Object.keys(commands[step]!.options);
      const hostOnly = inputs.filter((i) => !flags.includes(i));
      for (const name of hostOnly) expect(HostInputs[name]?.hostOnly, `${step}: input ${name} is no flag and not marked host-only`).toBe(true);
      expect(
        flags.filter((f) => !inputs.includes(f)),
        `${step}: flags without an input`,
      ).toEqual(cliOnly[step] ?? []);
    }
    // The top-level action has every step's inputs (one name, one meaning) besides recipe and step.
    const top = await inputsOf('action.yml');
    for (const step of STEPS) for (const f of hostFields(step, 'action')) expect(top, `action.yml lacks ${f.meta.flag}`).toContain(f.meta.flag);
  });

  it('--help lists every field of the step with its help text, and parses what it lists', async () => {
    for (const step of STEPS) {
      const help = commandHelp(step, commands[step]!);
      for (const f of hostFields(step, 'cli')) {
        expect(help, `${step} --${f.meta.flag}`).toContain(`--${f.meta.flag}`);
        expect(help).toContain(f.meta.description);
      }
    }
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, env: {} } as never;
    expect(await main(['distribute', '--help'], io)).toBe(0);
    expect(out.join('')).toMatch(/^Usage: osmedia distribute --workspace DIR --target DIR \[--target …\] .*\[--keep-versions N\]/m);
  });

  it('the recipe JSON Schema has the fields’ help as descriptions and no CLI metadata', () => {
    const schema = recipeJsonSchema() as { properties: Record<string, { properties?: Record<string, { description?: string; anyOf?: unknown[] }> }> };
    const keep = schema.properties.media!.properties!.keep!;
    expect(keep.description).toMatch(/editions to keep/);
    expect(keep.anyOf).toHaveLength(2); // one selector, or a list
    const text = JSON.stringify(schema);
    for (const key of META_KEYS) expect(text, key).not.toContain(`"${key}":`);
  });

  it('adding an option is one field with its meta: the flag, the input and the Jenkins key follow', () => {
    // What another engineer adds: a field in a step schema, nothing else.
    const schema = z.strictObject({
      keep: z.array(z.string()).meta({ flag: 'keep', description: 'editions' }),
      bootManager: z.enum(['2011', '2023']).optional().meta({ flag: 'boot-manager', placeholder: 'CA', description: 'the boot manager to use' }),
    });
    const fields = fieldsOf(schema);
    expect(fields.map((f) => [f.meta.flag, f.path.join('.'), f.kind])).toEqual([
      ['keep', 'keep', 'list'],
      ['boot-manager', 'bootManager', 'string'],
    ]);
    expect(buildOptions(fields, (f) => ({ keep: ['a'], 'boot-manager': '2023' })[f.meta.flag!])).toEqual({ keep: ['a'], bootManager: '2023' });
    // The generator splices only the inputs block, so outputs and runs stay as their authors wrote them.
    const yml = 'name: x\ninputs:\n  old:\n    description: gone\n\noutputs:\n  o:\n    description: kept\nruns:\n  using: node24\n';
    expect(spliceInputs(yml, 'inputs:\n  new:\n    description: "New."\n    required: false\n')).toBe(
      'name: x\ninputs:\n  new:\n    description: "New."\n    required: false\n\noutputs:\n  o:\n    description: kept\nruns:\n  using: node24\n',
    );
  });
});
