// Entry of the import-media sub-action (actions/import-media/action.yml → dist/import-media.js).
import { runAction } from '../run.ts';

await runAction('import-media');
