// Builds real update package containers shaped the way the sources identify them: a CAB made by
// gcab with update.mum and component manifests beside it; an MSU that is a CAB of CABs; an MSU
// that is a WIM (24H2: W10UI :msu1 "msuwim") holding the LCU's own WIM, its .psf, the SSU CAB,
// an RCU CAB when there is one, and onepackage.AggregatedMetadata.cab (with HotpatchCompDB for a
// hotpatch). Payloads are placeholders (no Microsoft binaries); containers and manifests are real.
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wimlibPath } from '../imaging/wimlib.ts';
import { runTool } from '../util/exec.ts';

export interface MumSpec {
  name: string;
  version: string;
  kb: string;
  arch?: string;
  /** Parent package and version (what the package applies to). */
  parent?: { name: string; version: string };
  /** CBS release type (Update, Security Update, Language Pack, OnDemand Pack, Feature Pack). */
  releaseType?: string;
  /** creationTimeStamp, e.g. 2024-11-07T20:12:37Z. */
  created?: string;
}

/** An update.mum as Microsoft writes them (attribute order and namespaces included). */
export function mumText(spec: MumSpec): string {
  const arch = spec.arch ?? 'amd64';
  const build = spec.version.startsWith('10.0.') ? spec.version.split('.')[2] : spec.version.split('.')[0];
  const parent = spec.parent ?? { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${build}.1` };
  const created = spec.created ?? '2024-11-07T20:12:37Z';
  return [
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
    `<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" description="Fix for ${spec.kb}" displayName="default" company="Microsoft Corporation" copyright="Microsoft Corporation" supportInformation="https://support.microsoft.com/help/${spec.kb.slice(2)}" creationTimeStamp="${created}" lastUpdateTimeStamp="${created}">`,
    `  <assemblyIdentity name="${spec.name}" version="${spec.version}" language="neutral" processorArchitecture="${arch}" publicKeyToken="31bf3856ad364e35" buildType="release" />`,
    `  <package identifier="${spec.kb}" releaseType="${spec.releaseType ?? 'Update'}" restart="possible" selfUpdate="false" permanence="removable">`,
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

export async function put(file: string, content: string | Buffer, mtime?: Date): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  if (mtime) await utimes(file, mtime, mtime);
}

/** A component manifest file name as CBS names them: amd64_<component>_31bf3856ad364e35_<version>_none_<hash>.manifest. */
export function componentManifest(component: string, version: string): string {
  return `amd64_${component}_31bf3856ad364e35_${version}_none_${Buffer.from(component).toString('hex').slice(0, 16)}.manifest`;
}

/** A CAB of the files in dir (paths kept), made by gcab (given the top-level names: it recurses into folders, and 60,000 paths would not fit a command line). */
export async function cab(dir: string, out: string): Promise<string> {
  const entries = (await readdir(dir)).sort();
  await mkdir(path.dirname(out), { recursive: true });
  await rm(out, { force: true });
  await runTool({ tool: 'gcab', file: 'gcab', args: ['-c', '-z', out, ...entries] }, { cwd: dir });
  return out;
}

/** A WIM of the files in dir, captured by wimlib (`none` for an MSU: Microsoft's are stored uncompressed). */
export async function wim(dir: string, out: string, name: string, compress: 'none' | 'LZX' = 'LZX'): Promise<string> {
  await mkdir(path.dirname(out), { recursive: true });
  await rm(out, { force: true });
  await runTool({ tool: 'wimlib-imagex', file: wimlibPath(), args: ['capture', dir, out, name, `--compress=${compress}`] });
  return out;
}

export async function filesDir(dir: string, files: Record<string, string | Buffer>, mtime?: Date): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) await put(path.join(dir, name), content, mtime);
  return dir;
}

/** A servicing-package CAB: update.mum, its catalog, and the named component manifests (and any extra files). */
export async function packageCab(work: string, out: string, spec: MumSpec, components: string[] = [], extra: Record<string, string> = {}): Promise<string> {
  const version = spec.version.startsWith('10.0.') ? spec.version : `10.0.${spec.version.split('.').slice(0, 2).join('.')}`;
  const files: Record<string, string> = { 'update.mum': mumText(spec), [`${spec.kb}.cat`]: `placeholder catalog for ${spec.kb}\r\n`, ...extra };
  for (const component of components.length ? components : ['microsoft-windows-sample']) {
    files[componentManifest(component, version)] =
      `<?xml version="1.0"?>\r\n<assembly manifestVersion="1.0"><assemblyIdentity name="${component}" version="${version}"/></assembly>\r\n`;
  }
  return cab(await filesDir(path.join(work, `${path.basename(out)}.d`), files), out);
}

export interface LcuLayout {
  kb: string;
  payload: MumSpec;
  ssu: MumSpec & { build: string };
  /** A revised-fix CAB (RCU-<build>-x64.cab, Package_for_RevisedFix) beside the LCU. */
  rcu?: MumSpec;
  /** A hotpatch: HotpatchCompDB in the aggregated metadata. */
  hotpatch?: boolean;
}

async function helperCab(work: string, out: string, files: Record<string, string>): Promise<string> {
  return cab(await filesDir(path.join(work, `${path.basename(out)}.h`), files), out);
}

/** The inner files every LCU MSU carries: the SSU CAB, an RCU CAB, the aggregated metadata, deployment and scan CABs. */
async function lcuCompanions(work: string, dir: string, layout: LcuLayout): Promise<void> {
  await packageCab(work, path.join(dir, `SSU-${layout.ssu.build}-x64.cab`), layout.ssu, ['microsoft-windows-servicingstack']);
  if (layout.rcu)
    await packageCab(work, path.join(dir, `RCU-${layout.payload.version.split('.').slice(0, 2).join('.')}-x64.cab`), layout.rcu, [
      'microsoft-windows-coreos-revision',
    ]);
  const metadata: Record<string, string> = { [`LCUCompDB_${layout.kb}.xml`]: '<CompDB/>\r\n', [`SSUCompDB_${layout.kb}.xml`]: '<CompDB/>\r\n' };
  const metaDir = path.join(work, `${layout.kb}.meta`);
  await filesDir(metaDir, metadata);
  if (layout.hotpatch) await helperCab(work, path.join(metaDir, `HotpatchCompDB_${layout.kb}.cab`), { [`HotpatchCompDB_${layout.kb}.xml`]: '<CompDB/>\r\n' });
  await cab(metaDir, path.join(dir, 'onepackage.AggregatedMetadata.cab'));
  for (const name of ['DesktopDeployment.cab', 'DesktopDeployment_x86.cab', 'wsusscan.cab'])
    await helperCab(work, path.join(dir, name), { [`${name}.txt`]: `placeholder ${name}\r\n` });
}

/** An LCU MSU as 24H2 ships it: a WIM holding Windows11.0-KB…-x64.wim (update.mum inside), its .psf and the companions. */
export async function buildMsuWim(work: string, out: string, layout: LcuLayout): Promise<string> {
  const dir = path.join(work, `${path.basename(out)}.d`);
  const base = `Windows11.0-${layout.kb}-x64`;
  const version = `10.0.${layout.payload.version.split('.').slice(0, 2).join('.')}`;
  const tree = await filesDir(path.join(work, `${path.basename(out)}.tree`), {
    'update.mum': mumText(layout.payload),
    [`${layout.kb}.cat`]: `placeholder catalog for ${layout.kb}\r\n`,
    [componentManifest('microsoft-windows-coreos-revision', version)]:
      `<assembly><assemblyIdentity name="Microsoft-Windows-CoreOS-Revision" version="${version}"/></assembly>\r\n`,
    [componentManifest('microsoft-updatetargeting-clientos', version)]:
      `<assembly><assemblyIdentity name="Microsoft-UpdateTargeting-ClientOS" version="${version}"/></assembly>\r\n`,
  });
  await rm(dir, { recursive: true, force: true });
  await wim(tree, path.join(dir, `${base}.wim`), base);
  await put(path.join(dir, `${base}.psf`), `placeholder PSF payload for ${layout.kb}\r\n`);
  await lcuCompanions(work, dir, layout);
  return wim(dir, out, layout.kb, 'none');
}

/** An MSU that is a CAB of CABs (before 24H2, and .NET CUs still): the payload CAB, companions, properties. */
export async function buildMsuCab(
  work: string,
  out: string,
  layout: Omit<LcuLayout, 'ssu'> & { ssu?: LcuLayout['ssu']; components?: string[] },
): Promise<string> {
  const dir = path.join(work, `${path.basename(out)}.d`);
  const base = `Windows11.0-${layout.kb}-x64`;
  await rm(dir, { recursive: true, force: true });
  await packageCab(work, path.join(dir, `${base}.cab`), layout.payload, layout.components);
  if (layout.ssu) await lcuCompanions(work, dir, { ...layout, ssu: layout.ssu });
  else await helperCab(work, path.join(dir, 'WSUSSCAN.cab'), { 'wsusscan.xml': '<scan/>' });
  await put(path.join(dir, `${base}-pkgProperties.txt`), `ApplicabilityInfo="Windows 11.0"\r\nKB Article Number="${layout.kb.slice(2)}"\r\n`);
  return cab(dir, out);
}
