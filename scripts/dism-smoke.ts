// Runs osmedia's DISM servicing primitives against real DISM on a Windows runner, on a real
// Windows image (a copy of the runner's own WinRE): the command lines osmedia builds
// (src/imaging/dism.ts), the parsers of DISM's output, and the error decoding.
// Used by .github/workflows/windows.yml; on Linux these are only replayed (test/updates).
//   node scripts/dism-smoke.ts <winre.wim copy> <work dir>
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DismCommands, DismEngine, dismPath, parseDismPackages, parseMountedImages } from '../src/imaging/dism.ts';
import { decodeDismError, dismErrorCode } from '../src/imaging/dism-errors.ts';
import { ToolError } from '../src/util/errors.ts';
import { runTool } from '../src/util/exec.ts';

const [wim, work] = process.argv.slice(2);
if (!wim || !work) throw new Error('usage: node scripts/dism-smoke.ts <wim> <work dir>');
const dism = new DismCommands({ logDir: path.join(work, 'logs'), scratchDir: path.join(work, 'scratch') });
const run = async (args: string[]) => (await runTool({ tool: 'DISM', file: dismPath(), args }, { logDir: path.join(work, 'logs') })).stdout;
const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`dism-smoke: ${what}`);
  console.log(`ok: ${what}`);
};

const mount = path.join(work, 'mount');
await mkdir(mount, { recursive: true });
await mkdir(path.join(work, 'scratch'), { recursive: true });
await run(dism.mount(wim, 1, mount));
const mounted = parseMountedImages(await run(dism.getMountedWimInfo()));
check(
  mounted.some((m) => path.resolve(m.mountDir).toLowerCase() === path.resolve(mount).toLowerCase() && m.index === 1),
  `/Get-MountedWimInfo lists the mount (${mounted.map((m) => `${m.mountDir} ${m.status}`).join('; ')})`,
);
const packages = parseDismPackages(await run(dism.getPackages(mount)));
check(
  packages.length > 0 && packages.every((p) => /~31bf3856ad364e35~/.test(p.identity) && p.state !== ''),
  `/Get-Packages parsed: ${packages.length} packages, e.g. ${packages[0]?.identity} (${packages[0]?.state})`,
);
// A CAB that is not a package: DISM must fail, and osmedia must find and decode its code.
const bogus = path.join(work, 'not-a-package.cab');
await writeFile(path.join(work, 'readme.txt'), 'not an update\r\n');
await runTool({ tool: 'makecab', file: 'makecab.exe', args: [path.join(work, 'readme.txt'), bogus] });
try {
  await run(dism.addPackage(mount, bogus));
  check(false, 'adding a CAB that is not a package fails');
} catch (error) {
  if (!(error instanceof ToolError)) throw error;
  const code = dismErrorCode(error.output, error.toolExitCode);
  check(code !== undefined, `a failed /Add-Package yields error code ${code}: ${decodeDismError(code)?.meaning ?? '(not in the table)'}`);
}
await run(dism.cleanupImage(mount, true));
check(true, '/Cleanup-Image /StartComponentCleanup /ResetBase');
await run(dism.unmount(mount, true));
check(
  parseMountedImages(await run(dism.getMountedWimInfo())).every((m) => path.resolve(m.mountDir).toLowerCase() !== path.resolve(mount).toLowerCase()),
  'unmounted (/Commit)',
);
const exported = path.join(work, 'exported.wim');
await run(dism.exportImage(wim, 1, exported));
const info = await new DismEngine(dismPath(), path.join(work, 'logs')).info(exported);
check(
  info.images.length === 1 && /^10\.0\.\d+\.\d+$/.test(info.images[0]!.version),
  `exported and read back: ${info.images[0]?.name} ${info.images[0]?.version}`,
);
await run(dism.cleanupMountpoints());
check(true, '/Cleanup-Mountpoints');
