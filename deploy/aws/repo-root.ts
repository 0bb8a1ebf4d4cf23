import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root (where package.json is), found from this file whether it runs as source
 * (deploy/aws/, in tests) or compiled (dist/deploy/aws/). As src/runtime/package-root.ts does for the
 * services; not imported from there, so the infrastructure code does not load the runtime.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (no package.json above deploy/aws)');
    dir = parent;
  }
  return dir;
}
