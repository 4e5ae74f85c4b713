// The osmedia version, stamped into manifests and build files.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0-unknown';
  }
}

export const OSMEDIA_VERSION = readVersion();
