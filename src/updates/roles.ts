// What each payload of a package is, from its content, in the order W10UI.cmd tests them
// (abbodi1406/BatUtil W10UI/W10UI.cmd, labels :cab2, :msu1, :EKB1/:EKB2): never from the file name.
import type { UpdateKind } from '../media/update-kinds.ts';
import type { FoundManifest } from './read.ts';

export type PayloadRole = UpdateKind | 'revised-fix';

/** The component manifests that make a package without Package_for_SafeOSDU a Safe OS DU (W10UI :cab2, _extsafe). */
const WINRE_COMPONENTS = /_microsoft-windows-(sysreset|winpe_tools|winre-tools|i\.\.dsetup-rejuvenation)_.*\.manifest$/i;
/** W10UI :EKB1: `microsoft-windows-*enablement-package~*.mum`. */
const ENABLEMENT_MUM = /^microsoft-windows-.*enablement-package~.*\.mum$/i;

export function roleOf(found: FoundManifest): PayloadRole {
  const name = found.manifest.identity.name;
  const has = (pattern: RegExp) => found.marks.some((m) => pattern.test(m));
  const rollup = /^Package_for_RollupFix$/i.test(name);
  if (/^Package_for_SafeOSDU$/i.test(name)) return 'safe-os'; // :cab2 findstr Package_for_SafeOSDU
  if (!rollup && has(WINRE_COMPONENTS)) return 'safe-os'; // :cab2, the older Safe OS DUs: WinRE components, no RollupFix
  if (rollup) return 'lcu'; // :cab2 / :chklcu
  // RCU-<build>-<arch>.cab inside an LCU MSU: Package_for_RevisedFix (W10UI :external_cab reads its update.mum).
  if (/^Package_for_RevisedFix$/i.test(name)) return 'revised-fix';
  if (/^Package_for_ServicingStack/i.test(name) || has(/_microsoft-windows-servicingstack_/i)) return 'ssu'; // :cab2 [SSU]
  if (/^Package_for_DotNetRollup/i.test(name) || has(/_netfx4/i)) return 'dotnet'; // :cab2 [NetFx]
  if (has(ENABLEMENT_MUM)) return 'enablement'; // :EKB1
  // CBS release types (DISM /Get-Packages "Release Type"; Microsoft's sample script tests ReleaseType "FeaturePack").
  const release = found.manifest.releaseType.replace(/\s+/g, '').toLowerCase();
  if (release === 'languagepack') return 'language-pack';
  if (release === 'ondemandpack') return 'fod';
  if (release === 'featurepack') return 'optional-component';
  return 'other';
}

/** W10UI :EKB2 names of Windows 10 enablement packages and the build each switches on. */
const ENABLEMENT_NAMES: Record<string, number> = { '1909': 18363, '20h2': 19042, '21h1': 19043, '21h2': 19044, '22h2': 19045 };

/** The build an enablement package switches the image to: from its *-<build>-Version-Enablement-Package, else its name. */
export function enablementBuild(marks: readonly string[]): { build?: number; package: string } {
  const version = marks.find((m) => /-\d{5}-version-enablement-package/i.test(m));
  if (version) return { build: Number(/-(\d{5})-version-enablement-package/i.exec(version)![1]), package: version.split('~')[0]! };
  const named = marks.find((m) => ENABLEMENT_MUM.test(m)) ?? '';
  const release = /^microsoft-windows-(\w+?)enablement-package/i.exec(named)?.[1]?.toLowerCase() ?? '';
  return { build: ENABLEMENT_NAMES[release], package: named.split('~')[0] ?? named };
}
