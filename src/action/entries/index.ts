// Entry of the top-level action (action.yml → dist/index.js): a recipe, or one step.
import { runAction } from '../run.ts';

await runAction();
