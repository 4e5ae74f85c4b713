import { createRequire as __osmediaCreateRequire } from 'node:module';
const require = __osmediaCreateRequire(import.meta.url);
import {
  runAction
} from "./chunks/chunk-GH3HEBU4.js";

// src/action/entries/stamp-build-file.ts
await runAction("stamp-build-file");
