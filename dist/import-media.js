import { createRequire as __osmediaCreateRequire } from 'node:module';
const require = __osmediaCreateRequire(import.meta.url);
import {
  runAction
} from "./chunks/chunk-3IKYRQ3S.js";
import "./chunks/chunk-I2OHX7HH.js";

// src/action/entries/import-media.ts
await runAction("import-media");
