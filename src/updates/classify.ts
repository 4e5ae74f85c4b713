// Classifies update packages by what they contain (every update.mum and marker file of every
// payload, W10UI :cab2/:msu1), never by file name or title, and rejects what cannot service an
// offline image of this media, saying why. Pure: tested on packages shaped like Microsoft's.
import path from 'node:path';
import { KIND_TITLES, type UpdateKind } from '../media/update-kinds.ts';
import { dismIdentity, imageArchitecture, type PackageManifest } from './mum.ts';
import { SETUP_FILES, type FoundManifest, type PackageContents } from './read.ts';
import { enablementBuild, roleOf, type PayloadRole } from './roles.ts';

export { KIND_TITLES, type UpdateKind };

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
  /** Every payload the file carries, with what it is (an LCU MSU: the LCU, its SSU, an RCU…). */
  payloads: { container?: string; identity: string; role: PayloadRole }[];
  /** The servicing stack an MSU carries beside its cumulative update (SSU-<build>-<arch>.cab). */
  ssu?: PackageIdentity & { entry: string };
  /** Year and month Microsoft built it (update.mum creationTimeStamp; a Setup DU: its setup binaries' date). */
  month?: string;
  /** An enablement package: the build it switches the image to (26100 → 26200). */
  enablesBuild?: number;
  /** A Setup DU: the file version of its setup binaries, e.g. setuphost.exe 10.0.26100.2314. */
  setupVersion?: string;
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
  /** Apply enablement packages (recipe updates.enablement: true); refused by default. */
  allowEnablement?: boolean;
}

/**
 * Builds that are enablement packages on top of another build share its servicing packages:
 * 25H2 (26200) takes 24H2's (26100) cumulative updates, 23H2 (22631) takes 22H2's, and so on.
 */
const SERVICING_BASE: Record<number, number> = { 26200: 26100, 22631: 22621, 19045: 19041, 19044: 19041, 19043: 19041, 19042: 19041 };

export function servicingBuild(build: number): number {
  return SERVICING_BASE[build] ?? build;
}

/** Build and revision from a package version: 26100.2314.1.7; 10.0.26100.1742 (FoD, LP); else the parent's 10.0.26100.1. */
function buildOf(manifest: PackageManifest, role: PayloadRole): { build?: number; revision?: number } {
  const parts = manifest.identity.version.split('.').map(Number);
  if (parts.length >= 2 && parts[0]! >= 7600) return { build: parts[0], revision: parts[1] };
  const parent = manifest.parent?.version.split('.').map(Number);
  if (parent && parent.length >= 3 && parent[0] === 10) return { build: parent[2] };
  // A .NET CU's own version (10.0.9277.1) is .NET's, not Windows': only the parent says the build.
  if (role !== 'dotnet' && parts.length >= 4 && parts[0] === 10 && parts[2]! >= 7600) return { build: parts[2], revision: parts[3] };
  return {};
}

function identityOf(found: FoundManifest): PackageIdentity {
  const manifest = found.manifest;
  return { identity: dismIdentity(manifest.identity), name: manifest.identity.name, ...buildOf(manifest, roleOf(found)) };
}

function kbFromFileName(fileName: string): string {
  const digits = /kb(\d{6,8})/i.exec(fileName)?.[1];
  return digits ? `KB${digits}` : '';
}

function archFromFileName(fileName: string): string | undefined {
  return /-(x64|arm64|x86)[-_.]/i.exec(fileName)?.[1]?.toLowerCase();
}

const monthOf = (iso: string | undefined) => (iso && /^\d{4}-\d{2}/.test(iso) ? iso.slice(0, 7) : undefined);

export interface FileFacts {
  file: string;
  size: number;
  sha256: string;
  pinned: boolean;
}

function classifySetup(facts: FileFacts, contents: PackageContents, media: MediaTarget, reject: (r: string) => Rejection) {
  const fileName = path.basename(facts.file);
  const setupFiles = contents.entries.filter((e) => SETUP_FILES.test(path.posix.basename(e)));
  if (contents.entries.some((e) => /defender.*\.xml$/i.test(e))) return reject('a Microsoft Defender update (W10UI :cab2), not a media servicing package');
  if (setupFiles.length === 0) return reject('not an update package: it has no update.mum and no Windows Setup files');
  const architecture = archFromFileName(fileName) ?? 'neutral';
  if (architecture !== 'neutral' && architecture !== media.architecture)
    return reject(`a Setup Dynamic Update for ${architecture}; this media is ${media.architecture}`);
  // The Setup DU has no manifest: its setup binaries' file versions say which release it is for.
  const versioned = contents.setupBinaries.find((b) => b.version);
  if (!versioned) {
    const why = contents.setupBinaries.map((b) => `${b.name}: ${b.error ?? 'no version'}`).join('; ') || 'no setuphost.exe, setupprep.exe or SetupPlatform.dll';
    return reject(`a Setup Dynamic Update whose setup binaries carry no file version (${why}), so its release cannot be checked`);
  }
  if (versioned.build !== media.build && versioned.build !== servicingBuild(media.build)) {
    return reject(
      `a Setup Dynamic Update for build ${versioned.build} (${versioned.name} ${versioned.version}); this media is build ${media.build}: download the Setup DU for this release`,
    );
  }
  // No manifest names it: the KB and the content hash do (Microsoft re-releases Setup DUs under the same KB).
  const kb = kbFromFileName(fileName);
  return {
    ...{ file: facts.file, fileName, size: facts.size, sha256: facts.sha256, pinned: facts.pinned, format: contents.layout },
    kind: 'setup' as const,
    kb,
    architecture,
    identity: `SetupDU~${kb || fileName}~${facts.sha256.slice(0, 12)}`,
    name: 'Setup Dynamic Update',
    build: versioned.build,
    payloads: [],
    month: monthOf(versioned.modified),
    setupVersion: `${versioned.name} ${versioned.version}`,
  };
}

/** Classifies one package, or says why it cannot be used for this media. */
export function classifyPackage(facts: FileFacts, contents: PackageContents, media: MediaTarget): UpdatePackage | Rejection {
  const fileName = path.basename(facts.file);
  const reject = (reason: string): Rejection => ({ file: facts.file, fileName, reason });
  if (!/\.(msu|cab)$/i.test(fileName)) return reject('not a .msu or .cab file');
  // An express package carries a PSF index (*.psf.cix.xml) whose payload is not in the file (W10UI :cab2).
  const express = contents.entries.some((e) => /\.psf\.cix\.xml$/i.test(e));
  if (express || /-(express|baseless)(_[0-9a-f]+)?\.cab$/i.test(fileName)) {
    return reject(
      `an online-only ${express || /-express/i.test(fileName) ? 'express' : 'baseless'} payload (WSUS/ConfigMgr content) that cannot service an offline image; download the full MSU from the Microsoft Update Catalog`,
    );
  }
  if (contents.hotpatch) {
    // W10UI :msu1: HotpatchCompDB*.cab inside *.AggregatedMetadata*.cab → "Not Supported: HotPatchUpdate".
    return reject(
      `a Hotpatch update (${contents.hotpatch} in its aggregated metadata): it rides on a baseline cumulative update and is for running machines enrolled in Hotpatch, not offline media. Use the baseline LCU (the month's full cumulative update) instead`,
    );
  }
  if (contents.manifests.length === 0) return classifySetup(facts, contents, media, reject);

  const fod = contents.manifests.find((m) => /FodMetadataServicing/i.test(m.manifest.identity.name));
  if (fod) return reject(`Features on Demand metadata (${fod.manifest.identity.name}), WSUS/ConfigMgr content that cannot service an offline image`);
  // Every payload counts: an LCU MSU that also carries an RCU (Package_for_RevisedFix) or an SSU is that LCU.
  const roles = contents.manifests.map((m) => ({ found: m, role: roleOf(m) }));
  const main =
    roles.find((r) => r.role === 'lcu') ??
    roles.find((r) => r.role !== 'ssu' && r.role !== 'revised-fix') ??
    roles.find((r) => r.role === 'revised-fix') ??
    roles[0]!;
  const manifest = main.found.manifest;
  const ssu = roles.find((r) => r !== main && r.role === 'ssu')?.found;
  const kind: UpdateKind = main.role === 'revised-fix' ? 'lcu' : main.role;
  const architecture = imageArchitecture(manifest.identity.processorArchitecture);
  const what = `${manifest.identity.name} ${manifest.identity.version}`;
  if (architecture !== media.architecture && architecture !== 'neutral' && architecture !== 'msil') {
    return reject(`a package for ${architecture} (${what}); this media is ${media.architecture}`);
  }
  const identity = identityOf(main.found);
  const wanted = servicingBuild(media.build);
  if (identity.build !== undefined && identity.build !== wanted && identity.build !== media.build) {
    return reject(
      `a package for build ${identity.build} (${what}); this media is build ${media.build}${wanted !== media.build ? `, serviced as ${wanted}` : ''}`,
    );
  }
  if (kind === 'optional-component' && /^WinPE-/i.test(manifest.identity.name)) {
    return reject(`a WinPE optional component (${what}): osmedia does not customise boot.wim or WinRE with optional components`);
  }
  let enablesBuild: number | undefined;
  if (kind === 'enablement') {
    const enabled = enablementBuild(main.found.marks);
    enablesBuild = enabled.build;
    const to = enabled.build ? `${enabled.build}` : 'a later release';
    if (!media.allowEnablement) {
      return reject(
        `an enablement package (${enabled.package}): it switches this media from build ${media.build} to ${to}. osmedia does not change the release by default: set updates.enablement: true (--enablement) to apply it, or use ${to} media`,
      );
    }
  }
  if (kind === 'other') return reject(`not a package osmedia knows how to place (${what}, release type "${manifest.releaseType || 'none'}")`);
  return {
    ...{ file: facts.file, fileName, size: facts.size, sha256: facts.sha256, pinned: facts.pinned, format: contents.layout },
    ...identity,
    kind,
    kb: manifest.kb || kbFromFileName(fileName),
    architecture,
    payloads: roles.map((r) => ({ container: r.found.container, identity: dismIdentity(r.found.manifest.identity), role: r.role })),
    ssu: ssu ? { ...identityOf(ssu), entry: ssu.container ?? ssu.entry } : undefined,
    month: monthOf(manifest.created),
    enablesBuild,
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
