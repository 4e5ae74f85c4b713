// `npm run demo`: builds sample Windows media (real WIMs, a real UDF ISO), then services it end to
// end with the built osmedia CLI and an embedded default recipe: import, strip to Enterprise,
// stamp. Runs it a second time to show that unchanged steps are skipped. Everything lives in .demo/.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSampleMedia } from '../src/sample/sample-media.ts';

const root = path.resolve(import.meta.dirname, '..');
const demo = path.join(root, '.demo');
const cli = path.join(root, 'bin', 'osmedia.js');

const DEFAULT_RECIPE = `# The demo's embedded default recipe: one media line, as it would live in git.
workspace: work
media:
  source: sample/CCCOMA_X64FRE_EN-US_DV9.iso
  keep: [Enterprise]          # EditionID, exact image name, or index
stamp:
  file: sources/osmedia-build.txt
  revision: demo
`;

function osmedia(...args: string[]): void {
  console.log(`\n$ osmedia ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: demo });
  if (result.status !== 0) {
    console.error(`demo: osmedia ${args[0]} failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

await rm(demo, { recursive: true, force: true });
await mkdir(demo, { recursive: true });
console.log('Building sample media (4 editions of Windows 11 24H2, real WIM XML, a UDF ISO) in .demo/sample …');
const sample = await buildSampleMedia({ dir: path.join(demo, 'sample') });
await writeFile(path.join(demo, 'osmedia.yml'), DEFAULT_RECIPE);
console.log(`\n.demo/osmedia.yml:\n${DEFAULT_RECIPE}`);

osmedia('inspect', sample.isoPath!);
osmedia('run', '--recipe', 'osmedia.yml');
osmedia('run', '--recipe', 'osmedia.yml');
osmedia('inspect', 'work');
console.log('\n.demo/work/media/sources/osmedia-build.txt:');
console.log((await readFile(path.join(demo, 'work', 'media', 'sources', 'osmedia-build.txt'), 'utf8')).replaceAll('\r\n', '\n'));
console.log('Demo finished: .demo/work/media is stripped to Enterprise and stamped; .demo/work/osmedia-manifest.json records every file and step.');
