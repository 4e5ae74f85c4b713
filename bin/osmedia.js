#!/usr/bin/env node
// Runs the CLI bundle (lib/osmedia.js, built by `npm run build`, which `npm install` runs via `prepare`).
import '../lib/osmedia.js';
