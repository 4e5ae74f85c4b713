// A ConfigMgr site replayed for tests: a scenario file for the stand-in PowerShell
// (fake-powershell.mjs) and a wrapper that runs it with this process's Node, so no `node` on PATH
// is needed. OSMEDIA_POWERSHELL and OSMEDIA_FAKE_SITE in `env` point osmedia at it.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, tempDir } from '../helpers.ts';

/** read: the read script's recorded result, or { exit, stderr } for a failing read. */
export interface Scenario {
  read: Record<string, unknown>;
  apply?: unknown;
  status?: unknown[];
  createdIds?: { upgrade?: string; image?: string };
}

export interface FakeSite {
  env: Record<string, string>;
  /** Every script run: its name, arguments and text, in order. */
  calls: () => Promise<{ script: string; argv: string[]; text: string }[]>;
}

export async function fakeSite(scenario: Scenario): Promise<FakeSite> {
  const dir = await tempDir();
  const log = path.join(dir, 'calls.jsonl');
  const file = path.join(dir, 'scenario.json');
  await writeFile(
    file,
    JSON.stringify({ apply: 'ok', status: [], ...scenario, read: 'exit' in scenario.read ? scenario.read : { result: scenario.read }, log }),
  );
  const wrapper = path.join(dir, 'powershell');
  await writeFile(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${path.join(repoRoot, 'test', 'configmgr', 'fake-powershell.mjs')}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return {
    env: { OSMEDIA_POWERSHELL: wrapper, OSMEDIA_FAKE_SITE: file },
    calls: async () =>
      (await readFile(log, 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
