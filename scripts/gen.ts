// `npm run gen`: writes the files made from the steps' surfaces (the action.yml inputs, the Jenkins
// steps' parameter lists and data file); `--check` only reports the ones that differ (exit 1).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../src/steps/generate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [file, make] of Object.entries(generatedFiles())) {
  const full = path.join(root, file);
  const old = await readFile(full, 'utf8').catch(() => '');
  const next = make(old);
  if (next === old) continue;
  stale.push(file);
  if (!check) {
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, next);
  }
}
console.log(stale.length ? `${check ? 'out of date' : 'wrote'}: ${stale.join(', ')}` : 'generated files are up to date');
process.exitCode = check && stale.length ? 1 : 0;
