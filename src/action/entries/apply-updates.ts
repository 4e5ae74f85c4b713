// Entry of the apply-updates sub-action (actions/apply-updates/action.yml → dist/apply-updates.js).
import { runAction } from '../run.ts';

await runAction('apply-updates');
