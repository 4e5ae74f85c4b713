#!/usr/bin/env node
// Runs the compiled CLI (lib/, built by `npm run build`, which `npm install` runs via `prepare`).
import '../lib/main.js';
