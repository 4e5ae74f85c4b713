// Entry of the strip-indexes sub-action (actions/strip-indexes/action.yml → dist/strip-indexes.js).
import { runAction } from '../run.ts';

await runAction('strip-indexes');
