import { cp } from 'node:fs/promises';
import path from 'node:path';
import { runStep } from '../../src/pipeline/run-step.ts';
import { distribute } from '../../src/steps/distribute.ts';
import { importMedia } from '../../src/steps/import-media.ts';
import { stampBuildFile } from '../../src/steps/stamp-build-file.ts';
import { stripIndexes } from '../../src/steps/strip-indexes.ts';
import type { TargetResult } from '../../src/distribute/publish.ts';
import { sampleMedia, tempDir, testContext } from '../helpers.ts';

/** An imported and stamped workspace of the sample media. */
export async function stampedWorkspace(options: Parameters<typeof sampleMedia>[0] = {}): Promise<string> {
  const sample = await sampleMedia(options);
  const workspace = path.join(await tempDir(), 'ws');
  await runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test');
  await runStep(stampBuildFile, { revision: 'r1' }, testContext(workspace), 'test');
  return workspace;
}

export async function publishTo(workspace: string, targets: string[], options: Record<string, unknown> = {}): Promise<TargetResult[]> {
  const result = await runStep(distribute, { targets, ...options }, testContext(workspace), 'test');
  return (result.summary as { targets: TargetResult[] }).targets;
}

export async function strip(workspace: string, keep: string[]): Promise<void> {
  await runStep(stripIndexes, { keep }, testContext(workspace), 'test');
}

export async function restamp(workspace: string, revision: string): Promise<void> {
  await runStep(stampBuildFile, { revision }, testContext(workspace), 'test');
}

/** A copy of a target folder as it is (links, modes and times kept), for replaying faults. */
export async function copyTarget(target: string): Promise<string> {
  const copy = path.join(await tempDir(), path.basename(target));
  await cp(target, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}
