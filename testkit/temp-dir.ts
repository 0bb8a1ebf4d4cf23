import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; whoever made it removes it. */
export function tempDir(prefix = 'exodus-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
