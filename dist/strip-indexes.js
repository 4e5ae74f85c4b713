import { createRequire as __osmediaCreateRequire } from 'node:module';
const require = __osmediaCreateRequire(import.meta.url);
import {
  runAction
} from "./chunks/chunk-PBXVYPEL.js";
import "./chunks/chunk-GXVU5RFT.js";

// src/action/entries/strip-indexes.ts
await runAction("strip-indexes");
