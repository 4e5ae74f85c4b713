// The recipe's `updates` section: apply-updates' options, plus where `osmedia updates resolve` finds
// the month's files (source, root, month). With a source, the files come from the lock file that
// resolve writes beside the recipe (apply-lock.ts), so from/files are not needed.
import { z } from 'zod';
import { ApplyUpdatesOptionsSchema } from '../steps/apply-updates.ts';

/** apply-updates' fields less bootManager (.omit() is refused on a refined object). */
function withoutBootManager<T extends { bootManager: unknown }>(shape: T): Omit<T, 'bootManager'> {
  const { bootManager: _bootManager, ...rest } = shape;
  return rest;
}

export const UPDATE_SOURCES = ['folder', 'configmgr', 'catalog'] as const;

export const RecipeUpdatesSchema = z
  .strictObject({
    // The boot manager is media.bootManager in a recipe (one place); apply-updates gets it from there.
    ...withoutBootManager(ApplyUpdatesOptionsSchema.shape),
    /** Where `osmedia updates resolve` finds the month's updates (only folder is built so far). */
    source: z.enum(UPDATE_SOURCES).optional(),
    /** folder: the tree of months (updates/2024-11/, …), relative to the recipe file. */
    root: z.string().min(1).optional(),
    /** The month to resolve: YYYY-MM, or latest (the newest month folder). */
    month: z
      .string()
      .regex(/^(latest|\d{4}-(0[1-9]|1[0-2]))$/, 'YYYY-MM or latest')
      .optional(),
  })
  .refine((o) => o.source !== undefined || o.from !== undefined || (o.files?.length ?? 0) > 0, {
    error: 'name the updates: a folder (from / --updates), files, or a source for `osmedia updates resolve`',
  });

/** The keys only resolve reads: apply-updates does not take them. */
export const RESOLVE_KEYS = ['source', 'root', 'month'] as const;
