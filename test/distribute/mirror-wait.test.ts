import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runStep } from '../../src/pipeline/run-step.ts';
import { distribute } from '../../src/steps/distribute.ts';
import { CollectingReporter } from '../../src/util/events.ts';
import { acquireLock } from '../../src/util/lock.ts';
import { tempDir, testContext } from '../helpers.ts';
import { stampedWorkspace } from '../distribute/helpers.ts';

// A waiting mirror publish and the side folder its lock lives in (review of the merged publish split).
it('mirror: a publish that waits for another survives the other removing the empty side folder', async () => {
  const workspace = await stampedWorkspace();
  const target = path.join(await tempDir(), 'Win11');
  const state = path.join(path.dirname(target), '.Win11.osmedia');
  await mkdir(state, { recursive: true });
  const release = await acquireLock(path.join(state, 'lock'), { what: 'the target', command: 'other', reporter: new CollectingReporter() });
  const context = testContext(workspace);
  const emit = context.reporter.emit.bind(context.reporter);
  context.reporter.emit = (event) => {
    emit(event);
    // What the other publish() does when it ends: release, then rmdir the side folder when empty.
    if (event.type === 'info' && event.message.startsWith('waiting for the target')) void release().then(() => rmdir(state).catch(() => {}));
  };
  const waited = await runStep(distribute, { targets: [target], layout: 'mirror', wait: 600 }, context, 'test').catch((e: unknown) => e);
  expect((waited as any).result).toBe('succeeded');
});
