// `npm run demo`: builds sample Windows media (real WIMs, a real UDF ISO), then services it end to
// end with the built osmedia CLI and an embedded default recipe: import, strip to Enterprise,
// apply this month's Setup Dynamic Update with the 2023 boot manager, stamp, write a bootable ISO. Runs it a second time to show that unchanged
// steps are skipped (the ISO, written outside the workspace, is written again), then shows the full servicing plan for a whole month of updates (the image
// servicing in it needs DISM on Windows). Everything lives in .demo/.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSampleMedia } from '../src/sample/sample-media.ts';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { hashFile } from '../src/util/fs.ts';

const root = path.resolve(import.meta.dirname, '..');
const demo = path.join(root, '.demo');
const cli = path.join(root, 'bin', 'osmedia.js');

const DEFAULT_RECIPE = `# The demo's embedded default recipe: one media line, as it would live in git.
workspace: work
media:
  source: sample/CCCOMA_X64FRE_EN-US_DV9.iso
  keep: [Enterprise]          # EditionID, exact image name, or index
  bootManager: '2023'         # the Windows UEFI CA 2023 boot manager (docs/boot-media.md)
updates:
  from: updates/setup-du      # .msu/.cab files; a SHA256SUMS file beside them pins them
stamp:
  file: sources/osmedia-build.txt
  revision: demo
iso:
  output: Win11-24H2-Enterprise.iso   # bootable: BIOS + UEFI El Torito, the imported label
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
console.log("Building sample update packages (CABs and MSUs shaped like the Update Catalog's) in .demo/updates …");
const setupDu = await buildSampleUpdates({ dir: path.join(demo, 'updates', 'setup-du'), only: ['setupDu'] });
await writeFile(path.join(setupDu.dir, 'SHA256SUMS'), `${await hashFile(setupDu.files.setupDu)}  ${path.basename(setupDu.files.setupDu)}\n`);
await buildSampleUpdates({ dir: path.join(demo, 'updates', 'month') });
await writeFile(path.join(demo, 'osmedia.yml'), DEFAULT_RECIPE);
console.log(`\n.demo/osmedia.yml:\n${DEFAULT_RECIPE}`);

osmedia('inspect', sample.isoPath!);
osmedia('run', '--recipe', 'osmedia.yml');
osmedia('run', '--recipe', 'osmedia.yml');
osmedia('inspect', 'work');
console.log('\n.demo/work/media/sources/osmedia-build.txt:');
console.log((await readFile(path.join(demo, 'work', 'media', 'sources', 'osmedia-build.txt'), 'utf8')).replaceAll('\r\n', '\n'));
console.log(
  '.demo/Win11-24H2-Enterprise.iso: a bootable ISO of that media (El Torito BIOS + UEFI) with the boot files of the 2023 boot manager (boot.wim index 1).',
);
console.log(
  "The sample's boot managers are unsigned stand-ins, so the build file says 'unsigned': osmedia reads the signer from the file's Authenticode signature, never from its name (docs/boot-media.md).",
);
console.log(
  "A whole month of updates (the LCU, its checkpoint, last month's LCU, Safe OS DU, Setup DU, .NET CU, and files osmedia rejects): the plan, in Microsoft's order.",
);
console.log("Last month's LCU is named superseded and goes into no image; the checkpoint goes only into images below it.");
osmedia('apply-updates', '--workspace', 'work', '--updates', 'updates/month', '--dry-run');
console.log('\nDemo finished: .demo/work/media is stripped to Enterprise, has the Setup DU applied and verified, and is stamped;');
console.log('.demo/work/osmedia-manifest.json records every file, step and update. The image servicing in the plan above runs on a Windows runner with DISM.');
