// The recipe: one YAML file per media line, kept in git and reviewed in pull requests.
// Documented in docs/recipe.md; `osmedia recipe-schema` prints it as JSON Schema for editors.
import { z } from 'zod';
import { ImportOptionsSchema } from '../steps/import-media.ts';
import { StampOptionsSchema } from '../steps/stamp-build-file.ts';
import { StripOptionsSchema } from '../steps/strip-indexes.ts';
import { DistributeOptionsSchema } from '../steps/distribute.ts';
import { TaskSequenceOptionsSchema } from '../steps/generate-task-sequence.ts';
import { BuildIsoOptionsSchema } from '../steps/build-iso.ts';
import { BootManagerSchema } from '../media/boot/record.ts';
import { RecipeUpdatesSchema } from '../resolve/recipe-updates.ts';

export const RecipeSchema = z.strictObject({
  /** Workspace folder, relative to the recipe file; `--workspace` overrides it. */
  workspace: z.string().min(1).optional(),
  media: z.strictObject({
    source: ImportOptionsSchema.shape.source,
    sha256: ImportOptionsSchema.shape.sha256,
    compression: ImportOptionsSchema.shape.compression,
    /** Editions to keep: EditionID, exact image name or index (one, or a list). Omit to keep every image. */
    keep: StripOptionsSchema.shape.keep.optional(),
    /** The UEFI boot manager: keep (default) or 2023 (switch to the Windows UEFI CA 2023 one; docs/boot-media.md). apply-updates and the ISO follow it. */
    bootManager: BootManagerSchema.optional(),
  }),
  /** Update packages to apply (folder and/or files, relative to the recipe file), in Microsoft's order; or a source to resolve (src/resolve). */
  updates: RecipeUpdatesSchema.optional(),
  /** The build file; `false` skips stamping (autorun.inf is then left alone too). */
  stamp: z.union([z.literal(false), StampOptionsSchema.pick({ file: true, revision: true }).partial().strict()]).optional(),
  /** A bootable ISO of the media, written after stamping; `output` is relative to the recipe file. */
  iso: BuildIsoOptionsSchema.extend({
    // No default here: an ISO without its own bootManager follows media.bootManager (run-recipe.ts).
    bootManager: z.enum(['2023', 'keep']).optional().meta({ description: 'UEFI boot manager of the ISO: keep or 2023; default media.bootManager' }),
  }).optional(),
  /** Package source folders to publish to; relative paths are relative to the recipe file. */
  distribute: DistributeOptionsSchema.optional(),
  /** The in-place upgrade task sequence; `out` is relative to the workspace. */
  taskSequence: TaskSequenceOptionsSchema.optional(),
});

export type Recipe = z.infer<typeof RecipeSchema>;
