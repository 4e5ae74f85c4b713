// The inputs and outputs of the GitHub Action and its sub-actions, by name. A step's inputs are
// its flags (src/steps/surface.ts); the host-only ones are here. scripts/gen.ts writes the
// action.yml inputs from both, and test/action/inputs.test.ts checks the committed files.
import { hostFields, surfaces } from '../steps/surface.ts';
import type { StepId } from '../steps/types.ts';

/** The inputs the Action's own code reads by name; the steps' inputs come from their surfaces. */
export const Inputs = {
  recipe: 'recipe',
  step: 'step',
  workspace: 'workspace',
  force: 'force',
  engine: 'engine',
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
  exitCode: 'exit-code',
} as const;

/** Inputs only the Action has (no CLI flag): marked hostOnly, with their action.yml text. */
export const HostInputs: Record<string, { description: string; default?: string; hostOnly: true }> = {
  [Inputs.recipe]: { hostOnly: true, description: 'The recipe file (osmedia.yml). Runs its steps; steps unchanged since their last success are skipped.' },
  [Inputs.step]: {
    hostOnly: true,
    description: `Instead of a recipe, run one step (${Object.keys(surfaces).join(', ')}) with its inputs below.`,
  },
  [Inputs.cache]: {
    hostOnly: true,
    default: 'true',
    description:
      'A recipe, import-media and apply-updates keep copies in the Actions cache: the import of an ISO (keyed by its SHA-256; restored when the ISO is pinned, by the sha256 input or the recipe), and a pinned updates folder (keyed by its SHA256SUMS). The pins are checked either way.',
  },
  [Inputs.artifacts]: {
    hostOnly: true,
    default: 'true',
    description: 'Upload the manifest, build files and tool logs as a workflow artifact (a notice, never a failure, where artifacts are not available).',
  },
  [Inputs.artifactName]: {
    hostOnly: true,
    description: "The artifact's name (default osmedia-<workspace folder name>); make it unique per job in a matrix.",
  },
};

/** Inputs every sub-action has beside its step's flags. */
export const CommonInputs = [Inputs.artifacts, Inputs.artifactName] as const;

/** The inputs of a step's sub-action: every flag of the step the Action shows, then the host-only ones. */
export function stepInputs(step: StepId): string[] {
  return [...hostFields(step, 'action').map((f) => f.meta.flag!), ...surfaces[step].hostInputs, ...CommonInputs];
}
