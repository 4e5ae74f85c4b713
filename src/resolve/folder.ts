// The folder source: a tree of months on a share (updates/2024-10/, updates/2024-11/, …). Each
// month folder is read like apply-updates' updates folder (its SHA256SUMS pins are checked) and
// every file is classified by content (src/updates/inputs.ts, classify.ts), never by its name.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SevenZip } from '../imaging/sevenzip.ts';
import { checkPins, classifyUpdates, collectUpdateFiles } from '../updates/inputs.ts';
import type { MediaTarget, Rejection } from '../updates/classify.ts';
import { UsageError } from '../util/errors.ts';
import type { FoundPackage } from './select.ts';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month folders under root, oldest first. */
export async function listMonths(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch((caught: unknown) => {
    const error = caught as NodeJS.ErrnoException;
    throw new UsageError(`The updates root ${root} cannot be read (${error.code ?? error.message})`, {
      fix: 'Set updates.root in the recipe (or pass --root) to the folder that holds one folder per month: updates/2024-11/, updates/2024-12/, …',
    });
  });
  return entries
    .filter((e) => e.isDirectory() && MONTH.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** `latest` is the newest month folder; YYYY-MM must exist. */
export function pickMonth(months: readonly string[], wanted: string, root: string): string {
  if (months.length === 0) {
    throw new UsageError(`${root} holds no month folders (YYYY-MM)`, {
      fix: `Create ${path.join(root, 'YYYY-MM')} (e.g. 2024-11) and copy that month's .msu and .cab files into it.`,
    });
  }
  if (wanted === 'latest') return months.at(-1)!;
  if (!MONTH.test(wanted)) throw new UsageError(`--month must be YYYY-MM or latest, not "${wanted}"`, { fix: 'For example --month 2024-11.' });
  if (!months.includes(wanted)) {
    throw new UsageError(`${root} has no folder for ${wanted} (it has ${months.join(', ')})`, {
      fix: `Create ${path.join(root, wanted)} with that month's update files, or pass --month with one of the months listed.`,
    });
  }
  return wanted;
}

export interface MonthContents {
  packages: FoundPackage[];
  rejections: Rejection[];
  ignored: string[];
}

/** Reads and classifies one month folder for a media line (SHA256SUMS pins checked; nothing is changed). */
export async function readMonth(sevenZip: SevenZip, root: string, month: string, media: MediaTarget, work: string): Promise<MonthContents> {
  const { files, ignored } = await collectUpdateFiles({ from: path.join(root, month) });
  const hashes = await checkPins(files);
  const { packages, rejections } = await classifyUpdates(sevenZip, files, hashes, media, work);
  return { packages: packages.map((p) => ({ ...p, folder: month })), rejections, ignored };
}
