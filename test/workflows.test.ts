// Every workflow we ship validates against GitHub's own workflow schema (@actions/workflow-parser,
// loaded through vitest because it imports JSON modules without import attributes).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
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
});
