// Benchmarks of distribute and verify against honest peers doing the same work, in the same run:
//
//   versioned publish + verify (local)  vs  cp -a + sha256sum of the copy      ≤ 1.15×
//   versioned publish + verify (SMB)    vs  cp -a + sha256sum of the copy      ≤ 1.15×  (test/smb/share.ts)
//   mirror re-publish, unchanged        vs  rsync -a, on ≥ 20,000 files        ≤ 1.0×
//   verify                              vs  sha256sum of the same files        ≥ 0.8× the speed
//   osmedia --version                   vs  (0.15 s)                           ≤ 0.15 s
// A publish that verifies is compared with a copy that verifies: the peer hashes what it copied.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { listTree } from '../src/util/fs.ts';
import { osmedia, root, timed, work, type Row, type Sample } from './measure.ts';

const sum = (a: Sample, b: Sample): Sample => ({ seconds: a.seconds + b.seconds, rssMiB: Math.max(a.rssMiB, b.rssMiB) });

/** The peer of publish + verify: a plain copy, then sha256sum of every copied file. */
function copyAndHash(media: string, dest: string, preserve: string): Sample {
  return timed('sh', ['-c', `cp ${preserve} "$0" "$1" && find "$1" -type f -print0 | xargs -0 sha256sum > /dev/null`, media, dest]);
}

/** publish + verify against cp + sha256sum into `shareRoot` (a local folder or a mounted share). */
export async function publishRows(ws: string, shareRoot: string, label: string, rounds: number, preserve = '-a'): Promise<Row[]> {
  const media = path.join(ws, 'media');
  const rows: Record<string, Sample[]> = { peer: [], ours: [], sha: [], verify: [] };
  const files = await listTree(media);
  const fileList = path.join(work, 'files.txt');
  for (let round = 0; round <= rounds; round++) {
    const share = path.join(shareRoot, 'bench');
    await rm(share, { recursive: true, force: true });
    await mkdir(share, { recursive: true });
    const peer = copyAndHash(media, path.join(share, 'cp'), preserve);
    const target = path.join(share, 'versioned');
    const published = await osmedia(['distribute', '--workspace', ws, '--target', target, '--quiet']);
    const verified = await osmedia(['verify', '--target', target, '--quiet']);
    const { readCurrent } = await import('../src/distribute/published.ts');
    const dir = path.join(target, (await readCurrent(target))!.version);
    await writeFile(fileList, files.map((f) => path.join(dir, f.path)).join('\n'));
    const sha = timed('xargs', ['-a', fileList, '-d', "'\\n'", 'sha256sum', '>', '/dev/null'], {}, true);
    const verifyAgain = await osmedia(['verify', '--target', target, '--quiet']);
    if (round > 0) {
      rows.peer!.push(peer);
      rows.ours!.push(sum(published, verified));
      rows.sha!.push(sha);
      rows.verify!.push(verifyAgain);
    }
  }
  await rm(path.join(shareRoot, 'bench'), { recursive: true, force: true });
  return [
    { step: `publish+verify (${label})`, tool: `cp ${preserve} + sha256sum`, raw: rows.peer!, ours: rows.ours!, target: 1.15, kind: 'time' },
    { step: `verify (${label})`, tool: 'sha256sum', raw: rows.sha!, ours: rows.verify!, target: 0.8, kind: 'throughput' },
  ];
}

/** A smaller workspace for the SMB share (the test client moves a few MiB/s): sample media of about `mib` MiB. */
export async function smbWorkspace(mib: number): Promise<string> {
  const ws = path.join(work, `smb-ws-${mib}`);
  if (existsSync(path.join(ws, 'osmedia-manifest.json'))) return ws;
  const { buildSampleMedia, SAMPLE_EDITIONS } = await import('../src/sample/sample-media.ts');
  const dir = path.join(work, `smb-sample-${mib}`);
  await rm(dir, { recursive: true, force: true });
  console.log(`building the ${mib} MiB workspace for the SMB rows (once; kept in .bench/) …`);
  const sample = await buildSampleMedia({ dir, editions: SAMPLE_EDITIONS.slice(0, 4), payloadBytes: Math.floor((mib / 4) * 1024 * 1024), iso: false });
  await osmedia(['import-media', '--source', sample.mediaDir, '--workspace', ws, '--quiet']);
  await rm(dir, { recursive: true, force: true });
  return ws;
}

/** A workspace of many small files (the sample media plus 20,000 files of 1–4 KiB). */
export async function manyFilesWorkspace(sampleMediaDir: string, count: number): Promise<string> {
  const ws = path.join(work, `many-ws-${count}`);
  if (existsSync(path.join(ws, 'osmedia-manifest.json'))) return ws;
  const source = path.join(work, `many-source-${count}`);
  await rm(source, { recursive: true, force: true });
  const { cp } = await import('node:fs/promises');
  await cp(sampleMediaDir, source, { recursive: true });
  for (let i = 0; i < count; i++) {
    const dir = path.join(source, 'sources', 'drivers', `d${Math.floor(i / 200)}`);
    if (i % 200 === 0) await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `f${i}.inf`), randomBytes(1024 + (i % 4) * 1024));
  }
  console.log(`importing the ${count}-file workspace (once; kept in .bench/) …`);
  await osmedia(['import-media', '--source', source, '--workspace', ws, '--quiet']);
  await rm(source, { recursive: true, force: true });
  return ws;
}

/** An unchanged mirror re-publish against rsync -a's quick check of the same tree. */
export async function mirrorRows(ws: string, rounds: number): Promise<Row[]> {
  const media = path.join(ws, 'media');
  const share = path.join(work, 'mirror-share');
  await rm(share, { recursive: true, force: true });
  await mkdir(share, { recursive: true });
  timed('rsync', ['-a', `${media}/`, path.join(share, 'rsync')]);
  await osmedia(['distribute', '--workspace', ws, '--target', path.join(share, 'mirror'), '--layout', 'mirror', '--quiet']);
  const raw: Sample[] = [];
  const ours: Sample[] = [];
  for (let round = 0; round <= rounds; round++) {
    const r = timed('rsync', ['-a', `${media}/`, path.join(share, 'rsync')]);
    const o = await osmedia(['distribute', '--workspace', ws, '--target', path.join(share, 'mirror'), '--layout', 'mirror', '--quiet']);
    if (round > 0) {
      raw.push(r);
      ours.push(o);
    }
  }
  const files = (await listTree(media)).length;
  await rm(share, { recursive: true, force: true });
  return [{ step: `mirror no-op (${files} files)`, tool: 'rsync -a', raw, ours, target: 1.0, kind: 'time' }];
}

/** `osmedia --version` (the entry alone) against Node starting and doing nothing. */
export function versionRows(rounds: number): Row[] {
  const raw: Sample[] = [];
  const ours: Sample[] = [];
  for (let round = 0; round <= rounds * 2; round++) {
    const r = timed(process.execPath, ['-e', '0']);
    const o = timed(process.execPath, [path.join(root, 'lib', 'osmedia.js'), '--version']);
    if (round > 0) {
      raw.push(r);
      ours.push(o);
    }
  }
  return [{ step: 'osmedia --version', tool: 'node -e 0 (start-up alone)', raw, ours, kind: 'time', absolute: 0.15 }];
}
