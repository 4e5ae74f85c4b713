// Entry of the stamp-build-file sub-action (actions/stamp-build-file/action.yml → dist/stamp-build-file.js).
import { runAction } from '../run.ts';

await runAction('stamp-build-file');
