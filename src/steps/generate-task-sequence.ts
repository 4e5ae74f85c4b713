// generate-task-sequence: the in-place upgrade task sequence for this media's upgrade package,
// checked against the manifest (the edition exists, its architecture and languages are known).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_CHECKS, DYNAMIC_UPDATE, PLACEHOLDER_PACKAGE_ID, SUPPORTED_UPGRADES, taskSequenceXml } from '../configmgr/task-sequence.ts';
import { taskSequenceScript } from '../configmgr/ts-script.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { relativePathProblem } from '../util/safe-extract.ts';
import { describeImages, selectImages } from './strip-indexes.ts';
import type { Step } from './types.ts';

export const TaskSequenceOptionsSchema = z.strictObject({
  /** Folder for the XML and its summary (default <workspace>/ts): a folder inside the workspace, outside media/ and .osmedia/. */
  out: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      // A recipe or a flag may not send osmedia's output elsewhere, nor into what osmedia owns (issue 16.11).
      const problem = relativePathProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `a folder relative to the workspace, not ${problem}` });
      else if (/^(media|\.osmedia)([\\/]|$)/i.test(value) || /^osmedia-manifest\.json$/i.test(value))
        ctx.addIssue({ code: 'custom', message: 'a folder of its own in the workspace, not media/ or .osmedia/ (osmedia keeps those)' });
    })
    .optional(),
  /** The edition to install: EditionID, exact image name or index in the (stripped) install.wim. */
  edition: z.union([z.string().min(1), z.number().int().positive().transform(String)]).optional(),
  packageId: z
    .string()
    .regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a ConfigMgr package ID: a 3-character site code and 5 hex digits, e.g. P0100123')
    .transform((s) => s.toUpperCase())
    .optional(),
  name: z.string().min(1).max(50, 'ConfigMgr task sequence names have at most 50 characters').optional(),
  scanOnly: z.boolean().default(false),
  dynamicUpdate: z.enum(Object.keys(DYNAMIC_UPDATE) as [keyof typeof DYNAMIC_UPDATE]).default('disable'),
  setupOptions: z.string().min(1).optional(),
  checks: z
    .strictObject({
      freeDiskSpaceMB: z.number().int().positive(),
      memoryMB: z.number().int().positive(),
      processorSpeedMHz: z.number().int().positive(),
      checkFreeDiskSpace: z.boolean(),
      checkMemory: z.boolean(),
      checkOSType: z.boolean(),
      checkProcessorSpeed: z.boolean(),
    })
    .partial()
    .default({}),
});
export type TaskSequenceStepOptions = z.infer<typeof TaskSequenceOptionsSchema>;

export const TS_FILE = 'osmedia-upgrade.xml';
export const TS_SUMMARY = 'osmedia-upgrade.txt';
export const TS_SCRIPT = 'osmedia-upgrade.ps1';

export const generateTaskSequence: Step<TaskSequenceStepOptions> = {
  id: 'generate-task-sequence',
  title: 'Generating the in-place upgrade task sequence',
  schema: TaskSequenceOptionsSchema,
  effect: 'external',

  plan(manifest, options) {
    return [
      `write ${options.out ?? 'ts'}/${TS_FILE}${options.scanOnly ? ' (compatibility scan only)' : ''} for package ${options.packageId ?? `${PLACEHOLDER_PACKAGE_ID} (placeholder)`}${manifest ? '' : ''}`,
    ];
  },

  async apply(context, manifest, options) {
    const { workspace, reporter } = context;
    const images = manifest.installWim.images;
    if (!options.edition && images.length !== 1) {
      throw new UsageError(`install.wim holds ${images.length} images: say which edition the task sequence installs. Images:\n${describeImages(images)}`, {
        fix: 'Pass --edition with an EditionID, an exact image name or an index (or strip the media to one edition).',
      });
    }
    const matches = options.edition ? selectImages(images, [options.edition]) : images;
    if (matches.length !== 1) {
      throw new UsageError(`"${options.edition}" matches ${matches.length} images:\n${describeImages(matches)}`, {
        fix: 'Use the index or the exact image name.',
      });
    }
    const image = matches[0]!;
    if (!image.architecture || image.languages.length === 0) {
      throw new MediaError(`The manifest records no ${image.architecture ? 'language' : 'architecture'} for image ${image.index} (${image.name})`, {
        fix: 'ConfigMgr needs both to match clients to the upgrade package: re-import the media (its WIM XML should carry ARCH and LANGUAGES).',
      });
    }
    const packageId = options.packageId ?? PLACEHOLDER_PACKAGE_ID;
    if (!options.packageId)
      reporter.emit({
        type: 'warning',
        step: 'generate-task-sequence',
        message: `no --package-id: the task sequence points at the placeholder ${PLACEHOLDER_PACKAGE_ID}; generate it again with the upgrade package's ID before importing it`,
      });
    const osType = /server/i.test(image.installationType) ? 'SERVER' : 'CLIENT';
    const xml = taskSequenceXml({
      packageId,
      editionIndex: image.index,
      scanOnly: options.scanOnly,
      dynamicUpdate: options.dynamicUpdate,
      checks: { ...DEFAULT_CHECKS, osType, ...options.checks },
      setupOptions: options.setupOptions,
    });
    const name = options.name ?? `Upgrade to ${image.name}`.slice(0, 50);
    const description = `${options.scanOnly ? 'Compatibility scan for' : 'In-place upgrade to'} ${image.name} ${image.version} (${image.architecture}, ${image.languages.join(', ')}), edition index ${image.index}, from media built by osmedia. ${SUPPORTED_UPGRADES}`;
    const out = path.resolve(workspace.root, options.out ?? 'ts');
    // No folder on the way may be a link planted to carry the files elsewhere (issue 16.11).
    for (const file of [TS_FILE, TS_SUMMARY, TS_SCRIPT]) await workspace.assertNoLinkOnTheWay(path.join(out, file));
    await mkdir(out, { recursive: true });
    const xmlPath = path.join(out, TS_FILE);
    const summaryPath = path.join(out, TS_SUMMARY);
    const scriptPath = path.join(out, TS_SCRIPT);
    const script = taskSequenceScript({ name, description, packageId, editionIndex: image.index, xmlFile: TS_FILE });
    const summaryText = [
      `Task sequence: ${name}`,
      `Description:   ${description}`,
      `Package ID:    ${packageId}${options.packageId ? '' : ' (PLACEHOLDER: not a real package)'}`,
      `Edition:       ${image.index}: ${image.name} [${image.editionId}]`,
      `Build:         ${image.version} ${image.architecture} ${image.languages.join(', ')}`,
      `Scan only:     ${options.scanOnly ? 'yes' : 'no'}`,
      `Dynamic Update: ${DYNAMIC_UPDATE[options.dynamicUpdate]}`,
      `Setup options: ${options.setupOptions ?? '(none)'}`,
      `XML:           ${xmlPath}`,
      `Script:        ${scriptPath} -SiteCode <code> -ProviderMachineName <SMS Provider> (Windows PowerShell 5.1, with the console; -WhatIf to preview)`,
      '',
    ].join('\r\n');
    const outputs: [string, string][] = [
      [xmlPath, xml],
      [summaryPath, summaryText],
      [scriptPath, script],
    ];
    const current = await Promise.all(outputs.map(([file]) => readFile(file, 'utf8').catch(() => '')));
    const same = outputs.every(([, text], i) => current[i] === text);
    if (!same) for (const [file, text] of outputs) await writeFileAtomic(file, text);
    const summary = {
      xml: xmlPath,
      summaryFile: summaryPath,
      script: scriptPath,
      name,
      description,
      packageId,
      placeholder: !options.packageId,
      editionIndex: image.index,
      edition: image.name,
      scanOnly: options.scanOnly,
    };
    const message = `${name}: ${TS_FILE} for package ${packageId}${options.packageId ? '' : ' (placeholder)'}, edition ${image.index} (${image.editionId})${same ? ', unchanged' : ''}`;
    return { manifest, summary, message, unchanged: same };
  },
};
