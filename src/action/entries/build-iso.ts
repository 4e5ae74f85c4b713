// Entry of the build-iso sub-action (actions/build-iso/action.yml → dist/build-iso.js).
import { runAction } from '../run.ts';

await runAction('build-iso');
