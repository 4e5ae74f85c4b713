// generate-task-sequence: the in-place upgrade task sequence for this media's upgrade package,
// checked against the manifest (the edition exists, its architecture and languages are known).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_CHECKS, DYNAMIC_UPDATE, PLACEHOLDER_PACKAGE_ID, supportedUpgrades, taskSequenceXml } from '../configmgr/task-sequence.ts';
import { taskSequenceScript } from '../configmgr/ts-script.ts';
import { MediaError, UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { relativePathProblem } from '../util/safe-extract.ts';
import { describeImages, selectImages } from './strip-indexes.ts';
import type { ImageInfo } from '../imaging/types.ts';
import { check } from './preflight.ts';
import type { Problem, Step } from './types.ts';

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
    .optional()
    .meta({
      flag: 'out',
      short: 'o',
      placeholder: 'DIR',
      description: 'folder for osmedia-upgrade.xml and its summary, inside the workspace (default <workspace>/ts)',
    }),
  /** The edition to install: EditionID, exact image name or index in the (stripped) install.wim. */
  edition: z
    .union([z.string().min(1), z.number().int().positive().transform(String)])
    .optional()
    .meta({
      flag: 'edition',
      short: 'e',
      placeholder: 'SELECTOR',
      description: 'the edition to install (EditionID, exact name or index); required when install.wim holds several',
    }),
  packageId: z
    .string()
    .regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a ConfigMgr package ID: a 3-character site code and 5 hex digits, e.g. P0100123')
    .transform((s) => s.toUpperCase())
    .optional()
    .meta({
      flag: 'package-id',
      placeholder: 'ID',
      description: 'the OS upgrade package ID (e.g. P0100123); without it a clearly marked placeholder (XXX00000) is used',
    }),
  name: z
    .string()
    .min(1)
    .max(50, 'ConfigMgr task sequence names have at most 50 characters')
    .optional()
    .meta({ flag: 'name', placeholder: 'NAME', description: 'the task sequence name (at most 50 characters)' }),
  scanOnly: z.boolean().default(false).meta({ flag: 'scan-only', description: 'a compatibility-scan-only task sequence (Setup /Compat ScanOnly), no upgrade' }),
  dynamicUpdate: z
    .enum(Object.keys(DYNAMIC_UPDATE) as [keyof typeof DYNAMIC_UPDATE])
    .default('disable')
    .meta({ flag: 'dynamic-update', placeholder: 'MODE', description: 'Windows Setup Dynamic Update: disable (default), policy or override' }),
  setupOptions: z.string().min(1).optional().meta({
    flag: 'setup-options',
    placeholder: 'OPTIONS',
    description: 'extra Windows Setup options (OSDSetupAdditionalUpgradeOptions), e.g. "/DiagnosticPrompt Enable"',
  }),
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
    .default({})
    .meta({
      description:
        'the Check Readiness step: freeDiskSpaceMB, memoryMB, processorSpeedMHz and which checks run (checkFreeDiskSpace, checkMemory, checkOSType, checkProcessorSpeed)',
    }),
});
export type TaskSequenceStepOptions = z.infer<typeof TaskSequenceOptionsSchema>;

export const TS_FILE = 'osmedia-upgrade.xml';
export const TS_SUMMARY = 'osmedia-upgrade.txt';
export const TS_SCRIPT = 'osmedia-upgrade.ps1';

/** The one image the task sequence installs: --edition, or the only image. */
function chooseImage(images: readonly ImageInfo[], options: TaskSequenceStepOptions): ImageInfo {
  if (!options.edition && images.length !== 1) {
    throw new UsageError(`install.wim holds ${images.length} images: say which edition the task sequence installs. Images:\n${describeImages(images)}`, {
      fix: 'Pass --edition with an EditionID, an exact image name or an index (taskSequence.edition in the recipe), or strip the media to one edition.',
    });
  }
  const matches = options.edition ? selectImages(images, [options.edition]) : [...images];
  if (matches.length !== 1) {
    throw new UsageError(`"${options.edition}" matches ${matches.length} images:\n${describeImages(matches)}`, {
      fix: 'Use the index or the exact image name.',
    });
  }
  return matches[0]!;
}

export type TaskSequenceSummary = {
  xml: string;
  summaryFile: string;
  script: string;
  name: string;
  description: string;
  packageId: string;
  placeholder: boolean;
  editionIndex: number;
  edition: string;
  scanOnly: boolean;
};

export const generateTaskSequence: Step<TaskSequenceStepOptions, string[], TaskSequenceSummary> = {
  id: 'generate-task-sequence',
  title: 'Generating the in-place upgrade task sequence',
  schema: TaskSequenceOptionsSchema,
  effect: 'external',

  plan(manifest, options) {
    return [
      `write ${options.out ?? 'ts'}/${TS_FILE}${options.scanOnly ? ' (compatibility scan only)' : ''} for package ${options.packageId ?? `${PLACEHOLDER_PACKAGE_ID} (placeholder)`}${manifest ? '' : ''}`,
    ];
  },

  /** The edition to install is one image of the media as it will be (two kept editions need --edition). */
  async preflight(_context, before, options) {
    const problems: Problem[] = [];
    const images = before.images;
    if (images) await check('generate-task-sequence', problems, () => chooseImage(images, options));
    return { problems };
  },

  async apply(context, manifest, options) {
    const { workspace, reporter } = context;
    const image = chooseImage(manifest.installWim.images, options);
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
    const description = `${options.scanOnly ? 'Compatibility scan for' : 'In-place upgrade to'} ${image.name} ${image.version} (${image.architecture}, ${image.languages.join(', ')}), edition index ${image.index}, from media built by osmedia. ${supportedUpgrades(image.version, image.installationType)}`;
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
    const summary: TaskSequenceSummary = {
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
