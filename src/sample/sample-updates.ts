// A month of Windows 11 24H2 (26100) updates for tests and the demo, each package shaped the way
// Microsoft's sources identify it (sample-packages.ts builds the containers): the November 2024 LCU
// KB5046617 (26100.2314; a WIM MSU with its SSU, an RCU CAB and aggregated metadata), the checkpoint
// KB5043080 (26100.1742), last month's LCU KB5044284 (26100.2033, superseded: it must never be
// installed), the Safe OS DU, the Setup DU (setup binaries with real PE version resources), the .NET
// CU, and files osmedia must reject. Extra layouts for tests are built only when asked for by name.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildMsuCab, buildMsuWim, cab, filesDir, packageCab, put } from './sample-packages.ts';
import { writeStoredCab } from './cab-writer.ts';
import { peFile } from './pe-file.ts';

export { mumText, packageCab, type MumSpec } from './sample-packages.ts';

const MONTH_ROLES = ['lcu', 'checkpoint', 'lastMonth', 'safeOs', 'setupDu', 'dotnet', 'express', 'wrongArch', 'notUpdate', 'fodMetadata'] as const;
const _EXTRA_ROLES = ['hotpatch', 'enablement', 'fod', 'languagePack', 'winpeOptional', 'safeOsLegacy', 'setupDuOtherRelease', 'standaloneSsu'] as const;
export type SampleRole = (typeof MONTH_ROLES)[number] | (typeof _EXTRA_ROLES)[number];

export interface SampleUpdates {
  dir: string;
  /** Every file written, by role. */
  files: Partial<Record<SampleRole, string>> & Record<(typeof MONTH_ROLES)[number], string>;
}

export interface SampleUpdatesOptions {
  /** Where the packages go; a work folder beside it is removed afterwards. */
  dir: string;
  /** Revision of the target LCU (default 2314). */
  lcuRevision?: number;
  /** Which packages to write (default the month: MONTH_ROLES). */
  only?: SampleRole[];
  /** Bytes of incompressible data in the Setup DU (benchmarks), in 64 MiB files under a subfolder. */
  setupDuPayloadBytes?: number;
  /** Extra small files in the Setup DU (benchmarks: a CAB of tens of thousands of entries). */
  setupDuEntries?: number;
  /** Month of the Safe OS and Setup DUs (default the LCU's, 2024-11). */
  duMonth?: string;
}

/** A Catalog file name: windows11.0-kb5046617-x64_<sha1>.msu (the month's own files keep the short names tests know them by). */
function catalogName(kb: string, suffix: string, ext: string): string {
  return `windows11.0-${kb.toLowerCase()}-x64${suffix}_${createHash('sha1')
    .update(kb + suffix)
    .digest('hex')}.${ext}`;
}

export async function buildSampleUpdates(options: SampleUpdatesOptions): Promise<SampleUpdates> {
  const build = 26100;
  const rev = options.lcuRevision ?? 2314;
  const work = path.join(path.dirname(options.dir), `.${path.basename(options.dir)}-work`);
  await rm(work, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true });
  const roles = new Set<SampleRole>(options.only ?? MONTH_ROLES);
  const at = (name: string) => path.join(options.dir, name);
  const files: Partial<Record<SampleRole, string>> = {};
  const make = async (role: SampleRole, name: string, build: (file: string) => Promise<unknown>) => {
    if (!roles.has(role)) return;
    files[role] = at(name);
    await build(at(name));
  };
  const duMonth = options.duMonth ?? '2024-11';
  const ssu = (r: number, kb: string) => ({ name: `Package_for_ServicingStack_${r}`, version: `${build}.${r}.1.2`, kb, build: `${build}.${r}` });
  const lcu = (kb: string, r: number, created: string) => ({
    name: 'Package_for_RollupFix',
    version: `${build}.${r}.1.7`,
    kb,
    releaseType: 'Security Update',
    created,
  });

  await make('lcu', `windows11.0-kb5046617-x64_${rev}.msu`, (f) =>
    buildMsuWim(work, f, {
      kb: 'KB5046617',
      payload: lcu('KB5046617', rev, '2024-11-07T20:12:37Z'),
      ssu: ssu(rev - 6, 'KB5046617'),
      // A revised-fix CAB listed before the LCU's own WIM: the MSU is still that LCU (issue: all payloads count).
      rcu: { name: 'Package_for_RevisedFix', version: `${build}.${rev}.1.7`, kb: 'KB5046617', created: '2024-11-07T20:12:37Z' },
    }),
  );
  await make('checkpoint', 'windows11.0-kb5043080-x64_1742.msu', (f) =>
    buildMsuWim(work, f, { kb: 'KB5043080', payload: lcu('KB5043080', 1742, '2024-09-05T19:00:00Z'), ssu: ssu(1738, 'KB5043080') }),
  );
  await make('lastMonth', 'windows11.0-kb5044284-x64_2033.msu', (f) =>
    buildMsuCab(work, f, { kb: 'KB5044284', payload: lcu('KB5044284', 2033, '2024-10-03T19:00:00Z'), ssu: ssu(2031, 'KB5044284') }),
  );
  await make('hotpatch', catalogName('KB5046740', '-hotpatch', 'msu'), (f) =>
    buildMsuWim(work, f, { kb: 'KB5046740', payload: lcu('KB5046740', rev + 1, '2024-11-21T19:00:00Z'), ssu: ssu(rev - 6, 'KB5046740'), hotpatch: true }),
  );
  await make('safeOs', 'windows11.0-kb5046620-x64_safeos.cab', (f) =>
    packageCab(work, f, {
      name: 'Package_for_SafeOSDU',
      version: `${build}.${rev - 9}.1.0`,
      kb: 'KB5046620',
      parent: { name: 'WinPE-Rejuv-Package', version: `10.0.${build}.1` },
      created: `${duMonth}-05T19:00:00Z`,
    }),
  );
  // The older kind of Safe OS DU: no Package_for_SafeOSDU, but WinRE's components (W10UI :cab2 _extsafe).
  await make('safeOsLegacy', catalogName('KB5046621', '', 'cab'), (f) =>
    packageCab(work, f, { name: 'Package_for_KB5046621', version: `${build}.${rev - 8}.1.0`, kb: 'KB5046621', created: `${duMonth}-06T19:00:00Z` }, [
      'microsoft-windows-sysreset',
      'microsoft-windows-winre-tools',
      'microsoft-windows-i..dsetup-rejuvenation',
    ]),
  );
  const setupDu = async (f: string, setupBuild: number, setupRev: number) => {
    const date = new Date(`${duMonth}-05T19:00:00Z`);
    const version = `10.0.${setupBuild}.${setupRev}`;
    const pe = (name: string) => peFile({ version, fileName: name, padding: 4096 });
    const dir = await filesDir(
      path.join(work, `${path.basename(f)}.setup`),
      {
        'setuphost.exe': pe('setuphost.exe'),
        'SetupPlatform.dll': pe('SetupPlatform.dll'),
        'appraiserres.dll': pe('appraiserres.dll'),
        'acres.dll': pe('acres.dll'),
        'replacementmanifests/microsoft-windows-sample-replacement.man': `placeholder replacement manifest\r\n`,
      },
      date,
    );
    const chunk = 64 * 1024 * 1024;
    for (let done = 0, i = 0; done < (options.setupDuPayloadBytes ?? 0); done += chunk, i++) {
      await put(path.join(dir, 'sxs', `payload${i}.bin`), randomBytes(Math.min(chunk, options.setupDuPayloadBytes! - done)), date);
    }
    for (let i = 0; i < (options.setupDuEntries ?? 0); i++)
      await put(path.join(dir, 'dlmanifests', `m${Math.floor(i / 1000)}`, `entry${i}.man`), `${i}\r\n`, date);
    // gcab slows down with the number of files (minutes for 60,000): a large one is written stored, by our own writer.
    if ((options.setupDuEntries ?? 0) > 2000) await writeStoredCab(dir, f);
    else await cab(dir, f);
  };
  await make('setupDu', 'windows11.0-kb5046619-x64_setup.cab', (f) => setupDu(f, build, rev));
  await make('setupDuOtherRelease', catalogName('KB5046618', '', 'cab'), (f) => setupDu(f, 22621, 4455));
  await make('dotnet', 'windows11.0-kb5045934-x64-ndp481_dotnet.msu', (f) =>
    buildMsuCab(work, f, {
      kb: 'KB5045934',
      payload: {
        name: 'Package_for_DotNetRollup_481',
        version: '10.0.9277.1',
        kb: 'KB5045934',
        parent: { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${build}.1` },
      },
      components: ['netfx4-netfx_detectionkeys_extended'],
    }),
  );
  await make('enablement', catalogName('KB5054156', '', 'cab'), (f) =>
    packageCab(
      work,
      f,
      { name: 'Package_for_KB5054156', version: `${build}.4061.1.1`, kb: 'KB5054156', created: '2025-06-24T19:00:00Z' },
      ['microsoft-windows-ekb-sample'],
      {
        'microsoft-windows-25h2enablement-package~31bf3856ad364e35~amd64~~10.0.26100.4061.mum': mumTextFor('Microsoft-Windows-25H2Enablement-Package'),
        'microsoft-windows-ge-client-server-26200-version-enablement-package~31bf3856ad364e35~amd64~~10.0.26100.4061.mum': mumTextFor(
          'Microsoft-Windows-Ge-Client-Server-26200-Version-Enablement-Package',
        ),
      },
    ),
  );
  const capability = (name: string, releaseType: string) => ({ name, version: `10.0.${build}.1742`, kb: 'KB0000000', releaseType });
  await make('fod', 'microsoft-windows-wifi-client-intel-netwtw02-fod-package~31bf3856ad364e35~amd64~~.cab', (f) =>
    packageCab(work, f, { ...capability('Microsoft-Windows-Wifi-Client-Intel-Netwtw02-FOD-Package', 'OnDemand Pack'), kb: '' }, [
      'microsoft-windows-wifi-client-intel-netwtw02',
    ]),
  );
  await make('languagePack', 'microsoft-windows-client-language-pack_x64_ja-jp.cab', (f) =>
    packageCab(work, f, { ...capability('Microsoft-Windows-Client-LanguagePack-Package', 'Language Pack'), kb: '' }, ['microsoft-windows-client-languagepack']),
  );
  await make('winpeOptional', 'winpe-wmi.cab', (f) =>
    packageCab(work, f, { ...capability('WinPE-WMI-Package', 'Feature Pack'), kb: '' }, ['microsoft-windows-winpe-wmi']),
  );
  await make('standaloneSsu', 'ssu-26100.2308-x64.cab', (f) => packageCab(work, f, ssu(2308, 'KB5047621'), ['microsoft-windows-servicingstack']));
  await make('express', 'windows11.0-kb5046617-x64-express.cab', (f) =>
    packageCab(work, f, lcu('KB5046617', rev, '2024-11-07T20:12:37Z'), [], { 'Windows11.0-KB5046617-x64.psf.cix.xml': '<Container/>\r\n' }),
  );
  await make('wrongArch', 'windows11.0-kb5046617-arm64_arm.cab', (f) =>
    packageCab(work, f, { ...lcu('KB5046617', rev, '2024-11-07T20:12:37Z'), arch: 'arm64' }),
  );
  await make('notUpdate', 'contoso-storage-driver.cab', async (f) =>
    cab(await filesDir(path.join(work, 'driver'), { 'contoso.inf': '[Version]\r\nSignature="$WINDOWS NT$"\r\n', 'contoso.sys': 'placeholder driver\r\n' }), f),
  );
  await make('fodMetadata', 'microsoft-windows-fodmetadataservicing-desktop-metadata-package.cab', (f) =>
    packageCab(work, f, {
      name: 'Microsoft-Windows-FodMetadataServicing-Desktop-Metadata-Package',
      version: `10.0.${build}.${rev}`,
      kb: 'KB5046617',
      parent: { name: 'Microsoft-Windows-Foundation-Package', version: `10.0.${build}.1` },
    }),
  );
  await rm(work, { recursive: true, force: true });
  return { dir: options.dir, files: files as SampleUpdates['files'] };
}

function mumTextFor(name: string): string {
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0"><assemblyIdentity name="${name}" version="10.0.26100.4061" language="neutral" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" buildType="release" /><package identifier="KB5054156" releaseType="Update"></package></assembly>\r\n`;
}
