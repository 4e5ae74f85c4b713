import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { Language, Parser } from 'web-tree-sitter';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers.ts';
import { javaHome } from './jenkins/java.ts';

describe('Jenkins shared library', () => {
  it('every vars step runs exactly the expected command with its arguments in a file (Groovy harness)', async () => {
    const scratch = await tempDir();
    const result = await execa(
      'groovy',
      [
        path.join(repoRoot, 'test', 'jenkins', 'harness.groovy'),
        path.join(repoRoot, 'jenkins', 'vars'),
        scratch,
        path.join(repoRoot, 'workflows-examples', 'Jenkinsfile'),
      ],
      {
        reject: false,
        env: { JAVA_HOME: (await javaHome()) ?? '' },
      },
    );
    const out = String(result.stdout);
    const failures = out.split('\n').filter((l) => l.startsWith('not ok'));
    expect(failures, `${out}\n${result.stderr}`).toEqual([]);
    // 8 steps × 3 shells × 7 checks, credentials 9, failures 3, nulls 3, the Jenkinsfile 1.
    expect(out).toMatch(/^184 passed, 0 failed$/m);
    expect(result.exitCode).toBe(0);

    // The PowerShell each step runs on a Windows agent parses with a real PowerShell grammar.
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(path.join(repoRoot, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm')));
    const scripts = (await readdir(scratch)).filter((n) => n.endsWith('.ps1'));
    expect(scripts).toHaveLength(9); // one per vars step, resolve included, and the credentials script
    for (const name of scripts) {
      const tree = parser.parse(await readFile(path.join(scratch, name), 'utf8'))!;
      expect(tree.rootNode.hasError, name).toBe(false);
    }
    // The grammar check itself catches broken PowerShell.
    expect(parser.parse("$cli = if ($env:X) { 'a' ; & $cli")!.rootNode.hasError).toBe(true);
  });
});
