// What a recipe will produce, before it runs (for `osmedia diff` in pull requests), what a
// target has published, and the strategy.matrix over many recipes.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCurrent, readPublished } from '../distribute/published.ts';
import { inspectPath } from '../media/inspect.ts';
import { decide, stepsOfRecipe } from '../pipeline/run-recipe.ts';
import { loadRecipe, type LoadedRecipe } from '../recipe/load.ts';
import type { StepContext } from '../steps/types.ts';
import { getStep } from '../steps/index.ts';
import { selectImages } from '../steps/strip-indexes.ts';
import { MediaError, OsmediaError, UsageError } from '../util/errors.ts';
import { checkPins, classifyUpdates, collectUpdateFiles } from '../updates/inputs.ts';
import { describeTaskSequence, stateOfManifest, stateOfPublished, type MediaState } from './diff.ts';

/**
 * The media the recipe makes. When the workspace already holds the recipe's result, that is it
 * (files included). Otherwise the source is inspected (read-only) and the kept editions selected:
 * the files are not known until the media is built.
 */
export async function plannedState(loaded: LoadedRecipe, context: StepContext): Promise<MediaState> {
  const planned = stepsOfRecipe(loaded);
  const mediaSteps = planned.filter((p) => getStep(p.step).effect !== 'external').length;
  const manifest = (await context.workspace.hasManifest()) ? await context.workspace.loadManifest() : undefined;
  const decision = await decide(planned, context, manifest).catch(() => ({ firstToRun: 0, reimport: true }));
  if (!decision.reimport && decision.firstToRun >= mediaSteps && manifest) {
    return stateOfManifest(manifest, `${path.basename(loaded.file)} (built)`);
  }
  const source = path.resolve(loaded.dir, loaded.recipe.media.source);
  const inspection = await inspectPath(source, { engine: context.engine, sevenZip: context.sevenZip }).catch((error: unknown) => {
    if (!(error instanceof MediaError)) throw error;
    return undefined;
  });
  if (!inspection) {
    // A pull-request runner usually cannot reach the ISO share: show what the recipe asks for.
    const selectors = loaded.recipe.media.keep ?? ['(all editions)'];
    return {
      label: `${path.basename(loaded.file)} (planned; source not reachable here)`,
      build: 'unknown',
      editions: selectors.map((s) => ({ name: `selector ${s}`, editionId: s, version: 'unknown' })),
      updates: [],
      taskSequence: plannedTaskSequence(loaded),
    };
  }
  const images = inspection.install?.images ?? [];
  const kept = loaded.recipe.media.keep ? selectImages(images, loaded.recipe.media.keep) : images;
  return {
    label: `${path.basename(loaded.file)} (planned)`,
    build: kept[0]?.version ?? 'unknown',
    editions: kept.map((i) => ({ name: i.name, editionId: i.editionId, version: i.version })),
    updates: kept[0] ? await plannedUpdates(loaded, kept[0], context) : [],
    taskSequence: plannedTaskSequence(loaded),
  };
}

/**
 * The updates the recipe would apply, by KB, when its update files are reachable: read and
 * classified as apply-updates does (pins checked), rejected files left out. Empty otherwise.
 */
async function plannedUpdates(loaded: LoadedRecipe, image: { architecture: string; version: string }, context: StepContext): Promise<string[]> {
  const updates = loaded.recipe.updates;
  if (!updates) return [];
  const work = await mkdtemp(path.join(tmpdir(), 'osmedia-plan-'));
  try {
    const { files } = await collectUpdateFiles({ from: updates.from, files: updates.files }, loaded.dir);
    const hashes = await checkPins(files);
    const { packages } = await classifyUpdates(
      context.sevenZip,
      files,
      hashes,
      { architecture: image.architecture, build: Number(image.version.split('.')[2]) },
      work,
    );
    return [...new Set(packages.map((p) => p.kb || p.identity))].sort();
  } catch (error) {
    if (error instanceof OsmediaError) return []; // a pull-request runner usually cannot reach the updates share
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The task sequence the recipe asks for, before it is generated. */
function plannedTaskSequence(loaded: LoadedRecipe): string | undefined {
  const ts = loaded.recipe.taskSequence;
  return ts ? describeTaskSequence({ name: ts.name, edition: ts.edition, packageId: ts.packageId, scanOnly: ts.scanOnly }) : undefined;
}

/** The current published version of a target (versioned or mirror), if any. */
export async function publishedState(target: string): Promise<MediaState | undefined> {
  const current = await readCurrent(target).catch(() => undefined);
  const published = await readPublished(current ? path.join(target, current.version) : target).catch(() => undefined);
  return published ? stateOfPublished(published, `${published.version} (published)`) : undefined;
}

async function recipeFiles(entry: string): Promise<string[]> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) throw new UsageError(`${entry} does not exist`, { fix: 'Pass recipe files, or folders that hold them.' });
  if (info.isFile()) return [entry];
  const names = await readdir(entry, { recursive: true });
  return names
    .filter((n) => /\.ya?ml$/.test(n) && !n.split(path.sep).some((part) => part.startsWith('.') || part === 'node_modules'))
    .map((n) => path.join(entry, n));
}

/** `{"include": [{"recipe": …, "name": …}]}` for `strategy.matrix: ${{ fromJSON(…) }}`; every recipe is validated. */
export async function recipeMatrix(entries: string[]): Promise<{ include: { recipe: string; name: string }[] }> {
  const files = (await Promise.all(entries.map(recipeFiles))).flat().sort();
  const include = [];
  for (const file of files) {
    const loaded = await loadRecipe(file, { verifyLock: false });
    if (!loaded.recipe.media) continue;
    include.push({ recipe: path.relative(process.cwd(), loaded.file).split(path.sep).join('/'), name: path.basename(file).replace(/\.ya?ml$/, '') });
  }
  if (include.length === 0)
    throw new UsageError(`No recipe found in ${entries.join(', ')}`, { fix: 'Pass recipe files (osmedia.yml), or folders that hold them.' });
  return { include };
}
