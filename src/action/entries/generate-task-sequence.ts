// Entry of the generate-task-sequence sub-action (actions/generate-task-sequence/action.yml → dist/generate-task-sequence.js).
import { runAction } from '../run.ts';

await runAction('generate-task-sequence');
