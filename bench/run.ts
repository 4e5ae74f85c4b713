// `npm run bench`: wall time and peak memory of osmedia's steps against the raw tools they wrap,
// measured in the same run on the same media. Targets (from the issues) are printed beside the
// ratios; they are targets, not assertions.
//
//   import-media                 vs  7zz x <iso>                          ≤ 1.3×
//   strip-indexes                vs  wimlib-imagex export <wim> <index>   ≤ 1.25×
//   distribute and verify        see bench/distribute.ts (publish + verify against cp + sha256sum,
//                                    locally and on an SMB share; the mirror no-op against rsync -a
//                                    on 20,000 files; verify against sha256sum; osmedia --version)
//   apply-updates (Setup DU)     vs  7zz x <setup DU cab> + wimlib extract of the boot files  ≤ 2× (issue 15)
//   apply-updates (60,000 entries)    the same, a CAB of 60,000 files: osmedia's RSS ≤ 200 MB
//   osmedia's own peak RSS                                                ≤ 200 MB
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sevenZipPath } from '../src/imaging/sevenzip.ts';
import { wimlibPath } from '../src/imaging/wimlib.ts';
import { spawnSync } from 'node:child_process';
import { buildSampleMedia, SAMPLE_EDITIONS } from '../src/sample/sample-media.ts';
import { buildSampleUpdates } from '../src/sample/sample-updates.ts';
import { osmedia, printRows, timed, wasCold, work, type Row, type Sample } from './measure.ts';
import { listTree } from '../src/util/fs.ts';
import { manyFilesWorkspace, mirrorRows, publishRows, smbWorkspace, versionRows } from './distribute.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const payloadMiB = Number(process.env.BENCH_PAYLOAD_MIB ?? 270);
const only = process.env.BENCH_ONLY; // "media", "distribute" or "updates"
const smbRounds = Number(process.env.BENCH_SMB_ROUNDS ?? Math.min(rounds, 3));
const manyFiles = Number(process.env.BENCH_MANY_FILES ?? 20_000);
const smbMiB = Number(process.env.BENCH_SMB_MIB ?? 256);

async function sampleIso(): Promise<{ dir: string; iso: string }> {
  const dir = path.join(work, `sample-${payloadMiB}`);
  const iso = path.join(dir, 'CCCOMA_X64FRE_EN-US_DV9.iso');
  if (!existsSync(iso)) {
    console.log(`building benchmark media: 4 editions × ${payloadMiB} MiB of incompressible data (once; kept in .bench/) …`);
    await buildSampleMedia({ dir, editions: SAMPLE_EDITIONS.slice(0, 4), payloadBytes: payloadMiB * 1024 * 1024, sharedBytes: 16 * 1024 * 1024 });
  }
  return { dir, iso };
}

async function mediaRows(iso: string): Promise<Row[]> {
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
  return [
    { step: 'import-media', tool: 'raw 7zz x', raw: raw7z, ours: ours7z, target: 1.3, kind: 'time' },
    { step: 'strip-indexes', tool: 'raw wimlib-imagex export', raw: rawExport, ours: ourStrip, target: 1.25, kind: 'time' },
  ];
}

/** A workspace of at least 2 GiB in over 1,000 files: the sample media plus language and driver files. */
async function bigWorkspace(sampleDir: string): Promise<string> {
  const ws = path.join(work, `dist-ws-${payloadMiB}`);
  if (existsSync(path.join(ws, 'osmedia-manifest.json'))) return ws;
  const source = path.join(work, `dist-source-${payloadMiB}`);
  await rm(source, { recursive: true, force: true });
  const { cp } = await import('node:fs/promises');
  await cp(path.join(sampleDir, 'media'), source, { recursive: true });
  for (let i = 0; i < 1000; i++) {
    const dir = path.join(source, 'sources', i < 500 ? 'lang' : 'drivers', `pkg${Math.floor(i / 50)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `file${i}.cab`), randomBytes(1024 * 1024 + (i % 7) * 4096));
  }
  console.log('importing the 2 GiB / 1,000-file distribute workspace (once; kept in .bench/) …');
  await osmedia(['import-media', '--source', source, '--workspace', ws, '--quiet']);
  await rm(source, { recursive: true, force: true });
  return ws;
}

async function distributeRows(ws: string, sampleDir: string): Promise<Row[]> {
  const media = path.join(ws, 'media');
  const files = await listTree(media);
  console.log(`distribute media: ${(files.reduce((s, f) => s + f.size, 0) / 2 ** 30).toFixed(2)} GiB in ${files.length} files`);
  // Each group is printed as soon as it is measured (the SMB rows take long).
  const rows = await publishRows(ws, path.join(work, 'share'), 'local', rounds);
  printRows(rows);
  const { smbUnavailable, startShare } = await import('../test/smb/share.ts');
  const why = smbUnavailable();
  if (why) console.log(`SMB rows skipped: ${why}`);
  else {
    const smallWs = await smbWorkspace(smbMiB);
    const share = await startShare();
    try {
      const smbFiles = await listTree(path.join(smallWs, 'media'));
      console.log(
        `SMB share: smbd on ${share.address} (own network namespace), mounted with smbnetfs; ${(smbFiles.reduce((s, f) => s + f.size, 0) / 2 ** 20).toFixed(0)} MiB in ${smbFiles.length} files`,
      );
      const smb = await publishRows(smallWs, share.dir, 'SMB', smbRounds, '-r --preserve=timestamps');
      printRows(smb);
      rows.push(...smb);
    } finally {
      await share.stop();
    }
  }
  const mirror = await mirrorRows(await manyFilesWorkspace(path.join(sampleDir, 'media'), manyFiles), rounds);
  printRows(mirror);
  const version = versionRows(rounds);
  printRows(version);
  return [...rows, ...mirror, ...version];
}

/** A Setup DU with a large payload, applied to small sample media (reset before every round); and one of 60,000 entries (memory). */
async function updatesRows(): Promise<Row[]> {
  const dir = path.join(work, `updates-${payloadMiB}`);
  const updates = path.join(dir, 'setup-du');
  const many = path.join(dir, 'setup-du-60k');
  if (!existsSync(path.join(dir, 'ready-2'))) {
    console.log(`building a Setup DU with ${payloadMiB} MiB of incompressible data, one of 60,000 entries, and small sample media (once; kept in .bench/) …`);
    await rm(dir, { recursive: true, force: true });
    await buildSampleUpdates({ dir: updates, only: ['setupDu'], setupDuPayloadBytes: payloadMiB * 1024 * 1024 });
    await buildSampleUpdates({ dir: many, only: ['setupDu'], setupDuEntries: 60_000 });
    const sample = await buildSampleMedia({ dir: path.join(dir, 'sample'), iso: false });
    await osmedia(['import-media', '--source', sample.mediaDir, '--workspace', path.join(dir, 'pristine'), '--quiet']);
    await writeFile(path.join(dir, 'ready-2'), '');
  }
  const rows: Row[] = [];
  for (const [label, folder] of [
    ['apply-updates (Setup DU)', updates],
    ['apply-updates (60,000 entries)', many],
  ] as const) {
    const [cab] = (await listTree(folder)).map((f) => path.join(folder, f.path));
    const raw: Sample[] = [];
    const ours: Sample[] = [];
    for (let round = 0; round <= rounds; round++) {
      // The raw work of a Setup DU apply (MS-DU "Update remaining media files"): expand the CAB, take the boot files out of boot.wim index 2.
      const out = path.join(work, 'raw-setupdu');
      await rm(out, { recursive: true, force: true });
      const x = timed(sevenZipPath(), ['x', cab!, `-o${out}`, '-y', '-bso0', '-bsp0']);
      const boot = timed(wimlibPath(), [
        'extract',
        path.join(dir, 'pristine', 'media', 'sources', 'boot.wim'),
        '2',
        '/sources/setup.exe',
        '/sources/setuphost.exe',
        '/Windows/Boot/EFI/bootmgfw.efi',
        '/Windows/Boot/EFI/bootmgr.efi',
        `--dest-dir=${path.join(out, 'boot')}`,
        '--no-acls',
      ]);
      const r = { seconds: x.seconds + boot.seconds, rssMiB: Math.max(x.rssMiB, boot.rssMiB) };
      await rm(out, { recursive: true, force: true });
      const ws = path.join(work, 'updates-ws');
      await rm(ws, { recursive: true, force: true });
      spawnSync('cp', ['-a', path.join(dir, 'pristine'), ws]);
      const o = await osmedia(['apply-updates', '--workspace', ws, '--updates', folder, '--quiet']);
      if (round > 0) {
        raw.push(r);
        ours.push(o);
      }
    }
    rows.push({ step: label, tool: '7zz x + wimlib extract (boot files)', raw, ours, target: label.includes('60,000') ? undefined : 2, kind: 'time' });
  }
  await rm(path.join(work, 'updates-ws'), { recursive: true, force: true });
  return rows;
}

async function main(): Promise<void> {
  await mkdir(work, { recursive: true });
  const rows: Row[] = [];
  if (only !== 'updates') {
    const { dir, iso } = await sampleIso();
    const wimSize = (await stat(path.join(dir, 'media', 'sources', 'install.wim'))).size;
    console.log(
      `media: ISO ${((await stat(iso)).size / 2 ** 30).toFixed(2)} GiB, install.wim ${(wimSize / 2 ** 30).toFixed(2)} GiB; ${rounds} rounds after a warm-up, medians and best; node ${process.version}\n`,
    );
    if (!only || only === 'media') rows.push(...(await mediaRows(iso)));
    if (!only || only === 'distribute') rows.push(...(await distributeRows(await bigWorkspace(dir), dir)));
  }
  if (!only || only === 'updates') rows.push(...(await updatesRows()));
  console.log();
  printRows(rows);
  console.log(`\nEvery command ran after sync${wasCold() ? ' and a dropped page cache (cold reads)' : ' (page cache could not be dropped: warm reads)'}.`);
  console.log("osmedia RSS is the node process only (peak, via process.resourceUsage); raw RSS is the tool's (GNU time %M).");
}

await main();
