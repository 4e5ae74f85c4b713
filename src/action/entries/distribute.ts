// Entry of the distribute sub-action (actions/distribute/action.yml → dist/distribute.js).
import { runAction } from '../run.ts';

await runAction('distribute');
