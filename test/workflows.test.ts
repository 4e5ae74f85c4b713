// Every workflow we ship validates against GitHub's own workflow schema (@actions/workflow-parser,
// loaded through vitest because it imports JSON modules without import attributes).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { Language, Parser } from 'web-tree-sitter';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './helpers.ts';

function workflowErrors(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

async function workflowFiles(dir: string): Promise<string[]> {
  const names = await readdir(path.join(repoRoot, dir)).catch(() => [] as string[]);
  return names.filter((n) => /\.ya?ml$/.test(n)).map((n) => path.join(dir, n));
}

describe('GitHub workflows', () => {
  it('the schema check catches a broken workflow', () => {
    expect(workflowErrors('broken.yml', 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    stepz: []\n').length).toBeGreaterThan(0);
    expect(workflowErrors('fine.yml', 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n')).toEqual([]);
  });

  it('every workflow in .github/workflows and workflows-examples validates', async () => {
    const files = [...(await workflowFiles('.github/workflows')), ...(await workflowFiles('workflows-examples'))];
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(workflowErrors(file, await readFile(path.join(repoRoot, file), 'utf8')), file).toEqual([]);
    }
  });

  it('every PowerShell run step parses with a real PowerShell grammar', async () => {
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(path.join(repoRoot, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm')));
    const files = [...(await workflowFiles('.github/workflows')), ...(await workflowFiles('workflows-examples'))];
    let checked = 0;
    for (const file of files) {
      const workflow = parseYaml(await readFile(path.join(repoRoot, file), 'utf8')) as { jobs: Record<string, { steps?: { shell?: string; run?: string }[] }> };
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.shell !== 'pwsh' || !step.run) continue;
          // Expressions are substituted by the runner before PowerShell sees the script.
          const script = step.run.replace(/\$\{\{[^}]*\}\}/g, 'x');
          expect(parser.parse(script)!.rootNode.hasError, `${file}: ${step.run.slice(0, 60)}`).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
