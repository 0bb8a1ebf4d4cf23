import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const depcruise = resolve(root, 'node_modules/.bin/depcruise');

async function cruise(...paths: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(depcruise, [...paths, '--config', '.dependency-cruiser.cjs'], {
      cwd: root,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe('architecture boundaries (the check behind npm run lint)', () => {
  it('hold for the source tree and the page', async () => {
    expect(await cruise('src', 'web')).toMatchObject({ code: 0 });
  });

  it('fail a service that imports an engine', async () => {
    const result = await cruise('test/fixtures/boundaries/src');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('services-never-import-engines');
  });

  it('fail product code that uses the test kit', async () => {
    const result = await cruise('test/fixtures/boundaries/src/ops');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('the-product-ships-no-test-kit');
  });

  it('fail a page that imports more than the browser face of the domain, and a browser module that needs Node', async () => {
    const result = await cruise('test/fixtures/boundaries/web', 'test/fixtures/boundaries/src/domain');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('web-only-knows-the-browser-domain');
    expect(result.output).toContain('browser-domain-runs-without-node');
  });
});
