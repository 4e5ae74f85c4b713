// Builds real update package containers, shaped like the ones the Microsoft Update Catalog ships,
// for tests and the demo: CABs made by gcab, MSUs in both layouts (CABs inside; or WIM + PSF + SSU
// CAB inside, as Windows 11 LCUs since 2024), each with an update.mum in Microsoft's format.
// The payloads are placeholders (no Microsoft binaries); the containers and manifests are real.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from '../util/exec.ts';
import { wimlibPath } from '../imaging/wimlib.ts';

export interface MumSpec {
  name: string;
  version: string;
  kb: string;
  arch?: string;
  /** Parent package and version (what the package applies to). */
  parent?: { name: string; version: string };
}

/** An update.mum as Microsoft writes them (attribute order and namespaces included). */
export function mumText(spec: MumSpec): string {
  const arch = spec.arch ?? 'amd64';
  const parent = spec.parent ?? { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${spec.version.split('.')[0]}.1` };
  return [
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
    `<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" description="Fix for ${spec.kb}" displayName="default" company="Microsoft Corporation" copyright="Microsoft Corporation" supportInformation="https://support.microsoft.com/help/${spec.kb.slice(2)}" creationTimeStamp="2024-11-01T20:12:37Z" lastUpdateTimeStamp="2024-11-01T20:12:37Z">`,
    `  <assemblyIdentity name="${spec.name}" version="${spec.version}" language="neutral" processorArchitecture="${arch}" publicKeyToken="31bf3856ad364e35" buildType="release" />`,
    `  <package identifier="${spec.kb}" releaseType="Update" restart="possible" selfUpdate="false" permanence="removable">`,
    '    <parent buildCompare="EQ" revisionCompare="GE" integrate="separate" disposition="detect">',
    `      <assemblyIdentity name="${parent.name}" version="${parent.version}" language="neutral" processorArchitecture="${arch}" publicKeyToken="31bf3856ad364e35" buildType="release" />`,
    '    </parent>',
    `    <update name="${spec.kb}-1_neutral_PACKAGE">`,
    '      <package integrate="hidden">',
    `        <assemblyIdentity name="Package_1_for_${spec.kb}" version="${spec.version}" language="neutral" processorArchitecture="${arch}" publicKeyToken="31bf3856ad364e35" buildType="release" />`,
    '      </package>',
    '    </update>',
    '  </package>',
    '</assembly>',
    '',
  ].join('\r\n');
}

async function put(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** A CAB of the files in dir (paths kept), made by gcab. */
async function cab(dir: string, out: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  await mkdir(path.dirname(out), { recursive: true });
  await runTool({ tool: 'gcab', file: 'gcab', args: ['-c', '-z', out, ...entries.sort()] }, { cwd: dir });
  return out;
}

/** A servicing-package CAB: update.mum plus a component manifest and payload. */
export async function packageCab(work: string, out: string, spec: MumSpec): Promise<string> {
  const dir = path.join(work, path.basename(out, '.cab'));
  await put(path.join(dir, 'update.mum'), mumText(spec));
  await put(path.join(dir, `${spec.kb}.cat`), `placeholder catalog for ${spec.kb}\r\n`);
  await put(
    path.join(dir, 'amd64_microsoft-windows-sample_31bf3856ad364e35_10.0.0.0_none', 'payload.dll'),
    `placeholder payload ${spec.name} ${spec.version}\r\n`,
  );
  return cab(dir, out);
}

export interface MsuCabLayout {
  kb: string;
  /** Windows10.0 / Windows11.0 prefix of the inner file names. */
  prefix: string;
  payload: MumSpec;
  ssu?: MumSpec & { build: string };
}

/** An MSU that carries CABs (the older layout, still used by .NET CUs): payload CAB, WSUSSCAN.cab, properties. */
export async function buildMsuWithCabs(work: string, out: string, layout: MsuCabLayout): Promise<string> {
  const dir = path.join(work, `${path.basename(out)}.d`);
  const base = `${layout.prefix}-${layout.kb}-x64`;
  await packageCab(work, path.join(dir, `${base}.cab`), layout.payload);
  if (layout.ssu) await packageCab(work, path.join(dir, `SSU-${layout.ssu.build}-x64.cab`), layout.ssu);
  await put(path.join(dir, `${base}-pkgProperties.txt`), `ApplicabilityInfo="Windows 11.0"\r\nKB Article Number="${layout.kb.slice(2)}"\r\n`);
  await put(
    path.join(dir, `${base}.xml`),
    `<?xml version="1.0"?>\r\n<unattend xmlns="urn:schemas-microsoft-com:unattend"><servicing><package action="install"><assemblyIdentity name="${layout.payload.name}" version="${layout.payload.version}" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35"/><source location="%configsetroot%\\${base}.cab"/></package></servicing></unattend>\r\n`,
  );
  await cab(await emptyDir(path.join(work, `${path.basename(out)}.scan`), { 'wsusscan.xml': '<scan/>' }), path.join(dir, 'WSUSSCAN.cab'));
  await rm(out, { force: true });
  return cab(dir, out);
}

async function emptyDir(dir: string, files: Record<string, string>): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) await put(path.join(dir, name), content);
  return dir;
}

export interface MsuWimLayout {
  kb: string;
  payload: MumSpec;
  ssu: MumSpec & { build: string };
}

/**
 * An MSU in the Windows 11 layout since 2024: Windows11.0-KB…-x64.wim (update.mum inside) with its
 * .psf, SSU-<build>-x64.cab, DesktopDeployment CABs, onepackage.AggregatedMetadata.cab and wsusscan.cab.
 */
export async function buildMsuWithWim(work: string, out: string, layout: MsuWimLayout): Promise<string> {
  const dir = path.join(work, `${path.basename(out)}.d`);
  const base = `Windows11.0-${layout.kb}-x64`;
  const tree = path.join(work, `${path.basename(out)}.wimtree`);
  await put(path.join(tree, 'update.mum'), mumText(layout.payload));
  await put(path.join(tree, `${layout.kb}.cat`), `placeholder catalog for ${layout.kb}\r\n`);
  await put(path.join(tree, 'amd64_microsoft-windows-sample_31bf3856ad364e35_10.0.0.0_none.manifest'), `placeholder manifest ${layout.payload.version}\r\n`);
  await mkdir(dir, { recursive: true });
  await runTool({ tool: 'wimlib-imagex', file: wimlibPath(), args: ['capture', tree, path.join(dir, `${base}.wim`), base, '--compress=LZX'] });
  await put(path.join(dir, `${base}.psf`), `placeholder PSF payload for ${layout.kb}\r\n`);
  await packageCab(work, path.join(dir, `SSU-${layout.ssu.build}-x64.cab`), layout.ssu);
  for (const name of ['DesktopDeployment.cab', 'DesktopDeployment_x86.cab', 'onepackage.AggregatedMetadata.cab', 'wsusscan.cab']) {
    await cab(await emptyDir(path.join(work, `${path.basename(out)}.${name}.d`), { [`${name}.txt`]: `placeholder ${name}\r\n` }), path.join(dir, name));
  }
  await rm(out, { force: true });
  return cab(dir, out);
}

export interface SampleUpdates {
  dir: string;
  /** Every file by role. */
  files: Record<'lcu' | 'checkpoint1' | 'checkpoint2' | 'safeOs' | 'setupDu' | 'dotnet' | 'express' | 'wrongArch' | 'notUpdate' | 'fodMetadata', string>;
}

export interface SampleUpdatesOptions {
  /** Where the packages go; a work folder beside it is removed afterwards. */
  dir: string;
  build?: number;
  /** Revision of the target LCU (default 2314); checkpoints are 1742 and 2033. */
  lcuRevision?: number;
  /** Which packages to write (default all). */
  only?: (keyof SampleUpdates['files'])[];
  /** Bytes of incompressible data in the Setup DU (benchmarks), in 64 MiB files under a subfolder. */
  setupDuPayloadBytes?: number;
}

/**
 * A month of updates for Windows 11 24H2 (build 26100): LCU (MSU with WIM + PSF + SSU CAB) and
 * two checkpoint CUs (one of each MSU layout), Safe OS DU (CAB), Setup DU (CAB of setup files,
 * no update.mum, as Microsoft ships it), .NET CU (MSU with CABs), plus packages osmedia must
 * reject: an express CAB, an arm64 CAB, a driver CAB and a FodMetadataServicing CAB.
 */
export async function buildSampleUpdates(options: SampleUpdatesOptions): Promise<SampleUpdates> {
  const build = options.build ?? 26100;
  const rev = options.lcuRevision ?? 2314;
  const work = path.join(path.dirname(options.dir), `.${path.basename(options.dir)}-work`);
  await rm(work, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true });
  const want = (role: keyof SampleUpdates['files']) => !options.only || options.only.includes(role);
  const at = (name: string) => path.join(options.dir, name);
  const files = {
    lcu: at(`windows11.0-kb5046617-x64_${rev}.msu`),
    checkpoint1: at('windows11.0-kb5043080-x64_1742.msu'),
    checkpoint2: at('windows11.0-kb5044284-x64_2033.msu'),
    safeOs: at('windows11.0-kb5046620-x64_safeos.cab'),
    setupDu: at('windows11.0-kb5046619-x64_setup.cab'),
    dotnet: at('windows11.0-kb5045934-x64-ndp481_dotnet.msu'),
    express: at('windows11.0-kb5046617-x64-express.cab'),
    wrongArch: at('windows11.0-kb5046617-arm64_arm.cab'),
    notUpdate: at('contoso-storage-driver.cab'),
    fodMetadata: at('microsoft-windows-fodmetadataservicing-desktop-metadata-package.cab'),
  };
  const ssu = (r: number) => ({ name: `Package_for_ServicingStack_${r}`, version: `${build}.${r}.1.2`, kb: 'KB5047621', build: `${build}.${r}` });
  if (want('lcu'))
    await buildMsuWithWim(work, files.lcu, {
      kb: 'KB5046617',
      payload: { name: 'Package_for_RollupFix', version: `${build}.${rev}.1.7`, kb: 'KB5046617' },
      ssu: ssu(rev - 6),
    });
  if (want('checkpoint1'))
    await buildMsuWithWim(work, files.checkpoint1, {
      kb: 'KB5043080',
      payload: { name: 'Package_for_RollupFix', version: `${build}.1742.1.10`, kb: 'KB5043080' },
      ssu: ssu(1738),
    });
  if (want('checkpoint2'))
    await buildMsuWithCabs(work, files.checkpoint2, {
      kb: 'KB5044284',
      prefix: 'Windows11.0',
      payload: { name: 'Package_for_RollupFix', version: `${build}.2033.1.10`, kb: 'KB5044284' },
      ssu: { ...ssu(2031), kb: 'KB5044284' },
    });
  if (want('safeOs'))
    await packageCab(work, files.safeOs, {
      name: 'Package_for_SafeOSDU',
      version: `${build}.${rev - 9}.1.0`,
      kb: 'KB5046620',
      parent: { name: 'WinPE-Rejuv-Package', version: `10.0.${build}.1` },
    });
  if (want('setupDu')) {
    const dir = await emptyDir(path.join(work, 'setupdu'), {
      'setuphost.exe': `placeholder: Windows Setup host from the Setup DU ${build}.${rev}\r\n`,
      'SetupPlatform.dll': `placeholder: setup platform ${build}.${rev}\r\n`,
      'appraiserres.dll': `placeholder: compatibility appraiser resources ${build}.${rev}\r\n`,
      'acres.dll': `placeholder: application compatibility resources\r\n`,
      'replacementmanifests/microsoft-windows-sample-replacement.man': `placeholder replacement manifest\r\n`,
    });
    const chunk = 64 * 1024 * 1024;
    for (let done = 0, i = 0; done < (options.setupDuPayloadBytes ?? 0); done += chunk, i++) {
      await put(path.join(dir, 'sxs', `payload${i}.bin`), randomBytes(Math.min(chunk, options.setupDuPayloadBytes! - done)));
    }
    await cab(dir, files.setupDu);
  }
  if (want('dotnet'))
    await buildMsuWithCabs(work, files.dotnet, {
      kb: 'KB5045934',
      prefix: 'Windows11.0',
      payload: {
        name: 'Package_for_DotNetRollup_481',
        version: '10.0.9277.1',
        kb: 'KB5045934',
        parent: { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${build}.1` },
      },
    });
  if (want('express')) await packageCab(work, files.express, { name: 'Package_for_RollupFix', version: `${build}.${rev}.1.7`, kb: 'KB5046617' });
  if (want('wrongArch'))
    await packageCab(work, files.wrongArch, { name: 'Package_for_RollupFix', version: `${build}.${rev}.1.7`, kb: 'KB5046617', arch: 'arm64' });
  if (want('notUpdate'))
    await cab(
      await emptyDir(path.join(work, 'driver'), { 'contoso.inf': '[Version]\r\nSignature="$WINDOWS NT$"\r\n', 'contoso.sys': 'placeholder driver\r\n' }),
      files.notUpdate,
    );
  if (want('fodMetadata'))
    await packageCab(work, files.fodMetadata, {
      name: 'Microsoft-Windows-FodMetadataServicing-Desktop-Metadata-Package',
      version: `10.0.${build}.${rev}`,
      kb: 'KB5046617',
      parent: { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${build}.1` },
    });
  await rm(work, { recursive: true, force: true });
  const written = Object.fromEntries(Object.entries(files).filter(([role]) => want(role as keyof SampleUpdates['files']))) as SampleUpdates['files'];
  return { dir: options.dir, files: written };
}
