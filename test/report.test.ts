import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../src/report/junit.ts';
import { buildXml, el } from '../src/util/xml.ts';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { readJson, runCli, sampleMedia, tempDir } from './helpers.ts';

const xsd = path.join(import.meta.dirname, 'fixtures', 'jenkins-junit.xsd');

/** Validates with libxml2 against the JUnit structure Jenkins reads; returns xmllint's complaint, if any. */
async function validate(file: string): Promise<string> {
  const result = await execa('xmllint', ['--noout', '--schema', xsd, file], { reject: false });
  return result.exitCode === 0 ? '' : String(result.stderr);
}

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testcase' || n === 'property' }).parse(xml);

describe('--junit', () => {
  it('reports a passing run of the sample media: one valid test case per step with its sub-results', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const updates = await buildSampleUpdates({ dir: path.join(dir, 'updates'), only: ['setupDu'] });
    await writeFile(
      path.join(dir, 'osmedia.yml'),
      `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprise]\nupdates:\n  from: ${updates.dir}\nstamp:\n  revision: r1\ndistribute:\n  targets: [share]\n`,
    );
    const junit = path.join(dir, 'report.xml');
    const result = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--junit', junit]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await validate(junit)).toBe('');
    const doc = parse(await readFile(junit, 'utf8'));
    const suite = doc.testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'osmedia run', tests: '5', failures: '0', errors: '0', skipped: '0' });
    expect(suite.testcase.map((c: any) => c.name)).toEqual(['import-media', 'strip-indexes', 'apply-updates', 'stamp-build-file', 'distribute']);
    expect(suite.testcase[1]['system-out']).toMatch(/images kept: 2: Windows 11 Enterprise \[Enterprise\]/);
    expect(suite.testcase[2]['system-out']).toMatch(/media \(sources\/ and boot files\): - → -; updates applied: KB5046619/);
    expect(suite.testcase[2]['system-out']).toMatch(/verified: sources\/setup\.exe equals boot\.wim index 2/);
    expect(suite.testcase[4]['system-out']).toMatch(/files verified 25 \(ok\)/);
    expect(suite.properties.property).toContainEqual({ name: 'osmedia.build', value: '10.0.26100.1742' });

    // The same run again: every step skipped, still a valid report.
    await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--junit', junit]);
    expect(await validate(junit)).toBe('');
    expect(parse(await readFile(junit, 'utf8')).testsuites.testsuite).toMatchObject({ tests: '5', skipped: '5', failures: '0' });
  });

  it('reports a failing run: the failure carries the message and the fix; later steps are listed as not run', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    await writeFile(path.join(dir, 'osmedia.yml'), `workspace: ws\nmedia:\n  source: ${sample.isoPath}\n  keep: [Enterprize]\n`);
    const junit = path.join(dir, 'report.xml');
    const resultFile = path.join(dir, 'result.json');
    const result = await runCli(['run', '--recipe', path.join(dir, 'osmedia.yml'), '--junit', junit, '--result-file', resultFile]);
    expect(result.exitCode).toBe(2);
    expect(await validate(junit)).toBe('');
    const suite = parse(await readFile(junit, 'utf8')).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '3', failures: '1' });
    const failed = suite.testcase[1];
    expect(failed.name).toBe('strip-indexes');
    expect(failed.failure.type).toBe('UsageError');
    expect(failed.failure.message).toBe('No image in install.wim matches "Enterprize". Available images:');
    expect(failed.failure['#text']).toMatch(/fix: Use an EditionID/);
    expect(suite.testcase[2]).toMatchObject({ name: 'stamp-build-file', skipped: { message: 'not run: strip-indexes failed' } });
    expect(await readJson(resultFile)).toMatchObject({ ok: false, command: 'run', error: { type: 'UsageError' } });
  });

  it('reports a failure before any step, and escapes hostile text', async () => {
    const dir = await tempDir();
    const junit = path.join(dir, 'report.xml');
    const result = await runCli(['import-media', '--source', path.join(dir, 'nope <&> "\u0001".iso'), '--workspace', path.join(dir, 'ws'), '--junit', junit]);
    expect(result.exitCode).toBe(1);
    expect(await validate(junit)).toBe('');
    const suite = parse(await readFile(junit, 'utf8')).testsuites.testsuite;
    expect(suite.testcase[0].failure.message).toContain('nope <&> "".iso');
    // One XML module writes every document: text and attributes escaped, characters XML 1.0 lacks dropped.
    expect(buildXml(el('a', { v: 'a<b>&"\'\u0000c' }, 'a<b>&"\'\u0000c'))).toBe('<a v="a&lt;b&gt;&amp;&quot;&apos;c">a&lt;b&gt;&amp;"\'c</a>');
  });

  it('renders no properties element when there are none', () => {
    const xml = renderJUnit({ command: 'inspect', events: [], startedAt: new Date(0), durationMs: 1 });
    expect(xml).not.toContain('<properties>');
    expect(parse(xml).testsuites).toMatchObject({ tests: '0', failures: '0' });
  });
});

describe('--args-file and --result-file', () => {
  it('takes step options from a JSON file; flags on the command line win', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const args = path.join(dir, 'args.json');
    await writeFile(args, `\uFEFF${JSON.stringify({ workspace: path.join(dir, 'ws'), source: sample.isoPath, compression: 'LZX' })}`);
    const imported = await runCli(['import-media', '--args-file', args, '--json']);
    expect(imported.exitCode, imported.stderr).toBe(0);
    await writeFile(args, JSON.stringify({ workspace: path.join(dir, 'ws'), keep: ['Education', 3] }));
    const resultFile = path.join(dir, 'out', 'result.json');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.dirname(resultFile));
    const stripped = await runCli(['strip-indexes', '--args-file', args, '--keep', 'Enterprise', '--result-file', resultFile]);
    expect(stripped.exitCode, stripped.stderr).toBe(0);
    const result = await readJson(resultFile);
    expect(result).toMatchObject({ ok: true, command: 'strip-indexes', result: 'succeeded' });
    expect(result.images.map((i: any) => i.editionId)).toEqual(['Enterprise']);
  });

  it('a distribute dry run from an arguments file (as the Jenkins step sends it) writes nothing', async () => {
    const sample = await sampleMedia();
    const dir = await tempDir();
    const workspace = path.join(dir, 'ws');
    expect((await runCli(['import-media', '--source', sample.isoPath!, '--workspace', workspace])).exitCode).toBe(0);
    const args = path.join(dir, 'args.json');
    await writeFile(args, JSON.stringify({ workspace, targets: [path.join(dir, 'Win11')], keep: 3, dryRun: true }));
    const result = await runCli(['distribute', '--args-file', args, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ ok: true, dryRun: true, targets: [{ action: 'dry-run', removeVersions: [] }] });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).not.toContain('Win11');
    await writeFile(args, JSON.stringify({ workspace, targets: [path.join(dir, 'Win11')], dryRun: false }));
    expect((await runCli(['distribute', '--args-file', args])).exitCode).toBe(0);
    expect(await readdir(dir)).toContain('Win11');
  });

  it('rejects an unreadable, non-JSON or non-object file, and unknown options, with exit 2', async () => {
    const dir = await tempDir();
    const args = path.join(dir, 'args.json');
    expect((await runCli(['strip-indexes', '--args-file', args])).stderr).toMatch(/Cannot read the arguments file/);
    await writeFile(args, '{"keep": [');
    expect((await runCli(['strip-indexes', '--args-file', args])).exitCode).toBe(2);
    await writeFile(args, '["Enterprise"]');
    expect((await runCli(['strip-indexes', '--args-file', args])).stderr).toMatch(/must hold one JSON object/);
    await writeFile(args, JSON.stringify({ workspace: dir, kepe: ['Enterprise'] }));
    const unknown = await runCli(['strip-indexes', '--args-file', args]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/kepe/);
  });
});
