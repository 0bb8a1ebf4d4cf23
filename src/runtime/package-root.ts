import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory (where package.json is), found from this file whether it runs
 * compiled (dist/src/…) or as source (tests): the built web pages and the OTLP .proto files live
 * under it.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root (no package.json above the code)');
    dir = parent;
  }
  return dir;
}

/** The package's version (package.json's `version`): what `--version`, the OpenAPI documents and telemetry report. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
