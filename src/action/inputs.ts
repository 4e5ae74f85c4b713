// The inputs and outputs of the GitHub Action and its sub-actions, by name: one place that
// action.yml files, the code and the tests agree on (test/action.test.ts checks all three).
import type { StepId } from '../steps/types.ts';

export const Inputs = {
  recipe: 'recipe',
  step: 'step',
  workspace: 'workspace',
  force: 'force',
  source: 'source',
  sha256: 'sha256',
  compression: 'compression',
  keep: 'keep',
  updates: 'updates',
  continueOnError: 'continue-on-error',
  skipRejected: 'skip-rejected',
  netfx3: 'netfx3',
  scratch: 'scratch',
  file: 'file',
  revision: 'revision',
  targets: 'targets',
  layout: 'layout',
  keepVersions: 'keep-versions',
  wait: 'wait',
  siteCode: 'site-code',
  provider: 'provider',
  upgradePackageName: 'upgrade-package-name',
  imagePackageName: 'image-package-name',
  acceptLicense: 'accept-license',
  dpGroups: 'dp-groups',
  dps: 'dps',
  waitDistribution: 'wait-distribution',
  out: 'out',
  edition: 'edition',
  packageIdInput: 'package-id',
  name: 'name',
  scanOnly: 'scan-only',
  dynamicUpdate: 'dynamic-update',
  setupOptions: 'setup-options',
  output: 'output',
  bootManager: 'boot-manager',
  splitSwm: 'split-swm',
  cache: 'cache',
  artifacts: 'artifacts',
  artifactName: 'artifact-name',
} as const;

export const Outputs = {
  workspace: 'workspace',
  manifest: 'manifest',
  build: 'build',
  changed: 'changed',
  packageId: 'package-id',
  version: 'version',
  taskSequence: 'task-sequence',
} as const;

/** Inputs every sub-action has. */
export const CommonInputs = [Inputs.workspace, Inputs.artifacts, Inputs.artifactName] as const;

/** The inputs each step's sub-action reads beside the common ones. */
export const StepInputs: Record<StepId, readonly string[]> = {
  'import-media': [Inputs.source, Inputs.sha256, Inputs.compression, Inputs.force, Inputs.cache],
  'strip-indexes': [Inputs.keep],
  'apply-updates': [Inputs.updates, Inputs.continueOnError, Inputs.skipRejected, Inputs.netfx3, Inputs.scratch, Inputs.bootManager, Inputs.cache],
  'stamp-build-file': [Inputs.file, Inputs.revision],
  'build-iso': [Inputs.output, Inputs.bootManager, Inputs.splitSwm],
  distribute: [
    Inputs.targets,
    Inputs.layout,
    Inputs.keepVersions,
    Inputs.wait,
    Inputs.siteCode,
    Inputs.provider,
    Inputs.upgradePackageName,
    Inputs.imagePackageName,
    Inputs.acceptLicense,
    Inputs.dpGroups,
    Inputs.dps,
    Inputs.waitDistribution,
  ],
  'generate-task-sequence': [Inputs.out, Inputs.edition, Inputs.packageIdInput, Inputs.name, Inputs.scanOnly, Inputs.dynamicUpdate, Inputs.setupOptions],
};
