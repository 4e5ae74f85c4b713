import { execa } from 'execa';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers.ts';

/** Debian's groovy looks for /usr/lib/jvm/default-java; point it at whatever java is installed. */
async function javaHome(): Promise<string | undefined> {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  const which = await execa('sh', ['-c', 'command -v java'], { reject: false });
  return which.exitCode === 0 ? path.dirname(path.dirname(realpathSync(String(which.stdout).trim()))) : undefined;
}

describe('Jenkins shared library', () => {
  it('every vars step runs exactly the expected command with its arguments in a file (Groovy harness)', async () => {
    const scratch = await tempDir();
    const result = await execa('groovy', [path.join(repoRoot, 'test', 'jenkins', 'harness.groovy'), path.join(repoRoot, 'jenkins', 'vars'), scratch, path.join(repoRoot, 'workflows-examples', 'Jenkinsfile')], {
      reject: false,
      env: { JAVA_HOME: (await javaHome()) ?? '' },
    });
    const out = String(result.stdout);
    const failures = out.split('\n').filter((l) => l.startsWith('not ok'));
    expect(failures, `${out}\n${result.stderr}`).toEqual([]);
    // 7 steps × 3 shells × 7 checks, credentials 3, failures 3, the Jenkinsfile 1.
    expect(out).toMatch(/^154 passed, 0 failed$/m);
    expect(result.exitCode).toBe(0);
  });
});
