import { readFileSync } from 'node:fs';

/** nsync's version, from package.json (two folders up from src/ and from dist/src/). */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'nsync' && pkg.version) return pkg.version;
    } catch {
      // Not at this level: try the next one.
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
