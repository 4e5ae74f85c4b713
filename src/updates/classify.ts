// Classifies update packages by what they contain (update.mum), never by file name or title, and
// rejects what cannot service an offline image of this media. Pure: tested on real packages'
// contents and on hand-made ones.
import path from 'node:path';
import { dismIdentity, imageArchitecture, type PackageManifest } from './mum.ts';
import type { PackageContents } from './read.ts';

export type UpdateKind = 'ssu' | 'lcu' | 'safe-os' | 'setup' | 'dotnet' | 'other';

export const KIND_TITLES: Record<UpdateKind, string> = {
  ssu: 'servicing stack update',
  lcu: 'cumulative update',
  'safe-os': 'Safe OS Dynamic Update',
  setup: 'Setup Dynamic Update',
  dotnet: '.NET Framework cumulative update',
  other: 'other update',
};

export interface PackageIdentity {
  /** DISM's package identity, e.g. Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7. */
  identity: string;
  name: string;
  /** Windows build the package services (26100), when the package says. */
  build?: number;
  /** The revision (UBR) it brings the image to: 2314 of 26100.2314.1.7. */
  revision?: number;
}

export interface UpdatePackage extends PackageIdentity {
  file: string;
  fileName: string;
  size: number;
  sha256: string;
  /** Whether a pin (recipe or SHA256SUMS) vouched for the hash. */
  pinned: boolean;
  kind: UpdateKind;
  kb: string;
  /** x64, arm64, x86; 'neutral' when the package does not say. */
  architecture: string;
  format: PackageContents['layout'];
  /** The servicing stack an MSU carries beside its cumulative update (SSU-<build>-<arch>.cab). */
  ssu?: PackageIdentity & { entry: string };
}

export interface Rejection {
  file: string;
  fileName: string;
  reason: string;
}

export interface MediaTarget {
  /** x64, arm64… (the images' architecture). */
  architecture: string;
  /** The images' build number (26100, or 26200 for 25H2). */
  build: number;
}

/**
 * Builds that are enablement packages on top of another build share its servicing packages:
 * 25H2 (26200) takes 24H2's (26100) cumulative updates, 23H2 (22631) takes 22H2's, and so on.
 */
const SERVICING_BASE: Record<number, number> = { 26200: 26100, 22631: 22621, 19045: 19041, 19044: 19041, 19043: 19041, 19042: 19041 };

export function servicingBuild(build: number): number {
  return SERVICING_BASE[build] ?? build;
}

/** Windows Setup files a Setup Dynamic Update CAB carries (it has no update.mum). */
const SETUP_FILES =
  /^(setuphost\.exe|setupprep\.exe|setupplatform\.(dll|exe)|setup\.exe|winsetup\.dll|appraiser(res)?\.dll|acres\.dll|compatprovider\.dll|sdbapiu\.dll)$/i;

function kindOf(name: string): UpdateKind {
  if (/^Package_for_RollupFix$/i.test(name)) return 'lcu';
  if (/^Package_for_ServicingStack/i.test(name)) return 'ssu';
  if (/^Package_for_SafeOSDU$/i.test(name)) return 'safe-os';
  if (/^Package_for_DotNetRollup/i.test(name)) return 'dotnet';
  return 'other';
}

/** Build and revision from a package version: 26100.2314.1.7, or 10.0.26100.1 for the parent. */
function buildOf(manifest: PackageManifest): { build?: number; revision?: number } {
  const parts = manifest.identity.version.split('.').map(Number);
  if (parts.length >= 2 && parts[0]! >= 7600) return { build: parts[0], revision: parts[1] };
  const parent = manifest.parent?.version.split('.').map(Number);
  if (parent && parent.length >= 3 && parent[0] === 10) return { build: parent[2] };
  return {};
}

function identityOf(manifest: PackageManifest): PackageIdentity {
  return { identity: dismIdentity(manifest.identity), name: manifest.identity.name, ...buildOf(manifest) };
}

function kbFromFileName(fileName: string): string {
  const digits = /kb(\d{6,8})/i.exec(fileName)?.[1];
  return digits ? `KB${digits}` : '';
}

function archFromFileName(fileName: string): string | undefined {
  return /-(x64|arm64|x86)[-_.]/i.exec(fileName)?.[1]?.toLowerCase();
}

export interface FileFacts {
  file: string;
  size: number;
  sha256: string;
  pinned: boolean;
}

/** Classifies one package, or says why it cannot be used for this media. */
export function classifyPackage(facts: FileFacts, contents: PackageContents, media: MediaTarget): UpdatePackage | Rejection {
  const fileName = path.basename(facts.file);
  const reject = (reason: string): Rejection => ({ file: facts.file, fileName, reason });
  if (!/\.(msu|cab)$/i.test(fileName)) return reject('not a .msu or .cab file');
  if (/-(express|baseless)\.cab$/i.test(fileName)) {
    return reject(
      `an online-only ${/-express/i.test(fileName) ? 'express' : 'baseless'} payload (WSUS/ConfigMgr content) that cannot service an offline image; download the full MSU from the Microsoft Update Catalog`,
    );
  }
  const base = { file: facts.file, fileName, size: facts.size, sha256: facts.sha256, pinned: facts.pinned, format: contents.layout };

  if (contents.manifests.length === 0) {
    const setupFiles = contents.entries.filter((e) => SETUP_FILES.test(path.posix.basename(e)));
    if (setupFiles.length === 0) return reject('not an update package: it has no update.mum and no Windows Setup files');
    const architecture = archFromFileName(fileName) ?? 'neutral';
    if (architecture !== 'neutral' && architecture !== media.architecture)
      return reject(`a Setup Dynamic Update for ${architecture}; this media is ${media.architecture}`);
    // No manifest names it: the KB and the content hash do (Microsoft re-releases Setup DUs under the same KB).
    const kb = kbFromFileName(fileName);
    return { ...base, kind: 'setup', kb, architecture, identity: `SetupDU~${kb || fileName}~${facts.sha256.slice(0, 12)}`, name: 'Setup Dynamic Update' };
  }

  const fod = contents.manifests.find((m) => /FodMetadataServicing/i.test(m.manifest.identity.name));
  if (fod) return reject(`Features on Demand metadata (${fod.manifest.identity.name}), WSUS/ConfigMgr content that cannot service an offline image`);
  // The main package: the one that is not the servicing stack an MSU carries beside it.
  const main = contents.manifests.find((m) => kindOf(m.manifest.identity.name) !== 'ssu') ?? contents.manifests[0]!;
  const ssu = contents.manifests.find((m) => m !== main && kindOf(m.manifest.identity.name) === 'ssu');
  const architecture = imageArchitecture(main.manifest.identity.processorArchitecture);
  if (architecture !== media.architecture && architecture !== 'neutral' && architecture !== 'msil') {
    return reject(`a package for ${architecture} (${main.manifest.identity.name} ${main.manifest.identity.version}); this media is ${media.architecture}`);
  }
  const identity = identityOf(main.manifest);
  const wanted = servicingBuild(media.build);
  if (identity.build !== undefined && identity.build !== wanted) {
    return reject(
      `a package for build ${identity.build} (${main.manifest.identity.name} ${main.manifest.identity.version}); this media is build ${media.build}${wanted !== media.build ? `, serviced as ${wanted}` : ''}`,
    );
  }
  return {
    ...base,
    ...identity,
    kind: kindOf(main.manifest.identity.name),
    kb: main.manifest.kb || kbFromFileName(fileName),
    architecture,
    ssu: ssu ? { ...identityOf(ssu.manifest), entry: ssu.container ?? ssu.entry } : undefined,
  };
}

export function isRejection(value: UpdatePackage | Rejection): value is Rejection {
  return 'reason' in value;
}

/** Rejects a second file with the same package identity (the same update twice under two names). */
export function dropDuplicates(packages: readonly UpdatePackage[]): { packages: UpdatePackage[]; rejections: Rejection[] } {
  const seen = new Map<string, UpdatePackage>();
  const rejections: Rejection[] = [];
  for (const pkg of packages) {
    const first = seen.get(pkg.identity);
    if (first) rejections.push({ file: pkg.file, fileName: pkg.fileName, reason: `the same package as ${first.fileName} (${pkg.identity})` });
    else seen.set(pkg.identity, pkg);
  }
  return { packages: [...seen.values()], rejections };
}
