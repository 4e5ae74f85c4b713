// The shapes of a servicing plan: targets (WinRE, each install.wim and boot.wim image, the media),
// their ordered operations, and what each target skips and why. Types only.
import type { BootFilesOperation } from '../media/boot/boot-files.ts';
import type { Rejection, UpdatePackage } from './classify.ts';

export type TargetId = `install.wim:${number}` | `boot.wim:${number}` | 'winre' | 'media';

export interface PackageRef {
  kb: string;
  identity: string;
  file: string;
  sha256: string;
  kind: UpdatePackage['kind'];
}

export type Operation =
  | { action: 'extract-winre'; fromIndex: number }
  /** A servicing stack: a standalone SSU package, or (WinRE) the SSU CAB an LCU MSU carries (`entry`). */
  | { action: 'add-ssu'; package: PackageRef; ssuIdentity: string; entry?: string }
  /** `embeddedSsu`: the SSU inside an LCU MSU, which DISM installs itself before the LCU (24H2). */
  | { action: 'add-package'; package: PackageRef; checkpoints: PackageRef[]; embeddedSsu?: string }
  | { action: 'replace-winre' }
  | { action: 'cleanup'; resetBase: boolean }
  | { action: 'enable-netfx3' }
  | { action: 'export' }
  | { action: 'expand-setup-du'; package: PackageRef }
  | BootFilesOperation;

export interface Skip {
  kb: string;
  identity: string;
  reason: string;
}

export interface PlanTarget {
  target: TargetId;
  title: string;
  /** What runs it: DISM (mount and package servicing), wimlib or 7-Zip (cross-platform). */
  engine: 'dism' | 'cross-platform';
  /** major.minor.build.UBR before and, as predicted, after. */
  before?: string;
  predicted?: string;
  operations: Operation[];
  /** Packages this target receives: recorded in the manifest once verified. */
  applies: PackageRef[];
  /** Packages present in the updates that this target does not get, and why. */
  skipped: Skip[];
  /** DISM package identities that must be present after servicing. */
  expectPackages: string[];
}

export interface ServicingPlan {
  targets: PlanTarget[];
  needsDism: boolean;
  rejections: Rejection[];
  /** Files accepted without a pin (reported, allowed). */
  unpinned: string[];
  /** Every classified package, for reports. */
  packages: UpdatePackage[];
  /** LCUs in the folder that are neither the target nor a checkpoint: never installed. */
  superseded: Skip[];
  /** Said in the plan and the summary: Dynamic Updates of another month than the LCU, and the like. */
  warnings: string[];
}

export interface PlanOptions {
  /** Run /StartComponentCleanup (default true). */
  cleanup: boolean;
  /** Enable .NET Framework 3.5 (NetFx3) in install.wim images, from sources/sxs. */
  netfx3: boolean;
  /** KBs to treat as checkpoint cumulative updates besides the known ones (recipe updates.checkpoints). */
  checkpoints?: readonly string[];
}

/** The update records apply-updates keeps in the manifest, one per target and package. */
export interface AppliedUpdate {
  target: TargetId;
  kind: UpdatePackage['kind'];
  kb: string;
  identity: string;
  file: string;
  sha256: string;
}
