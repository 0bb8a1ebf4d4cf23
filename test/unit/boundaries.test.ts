import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const depcruise = resolve(root, 'node_modules/.bin/depcruise');

/** What `npm run lint` cruises, and what it leaves out (the fixtures break the rules on purpose). */
const LINTED = [
  'src',
  'web',
  'test',
  'testkit',
  'bench',
  'deploy',
  '--exclude',
  '^(test/fixtures/boundaries|deploy/aws/cdk.out)/',
];

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
  it('hold for the source tree, the page, the tests, the test kit, the bench and deploy', async () => {
    expect(await cruise(...LINTED)).toMatchObject({ code: 0 });
  });

  it('fail a benchmark that imports a test kit file behind its face, and pass one through the face', async () => {
    const result = await cruise('test/fixtures/boundaries/bench');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('the-test-kit-through-its-faces');
    expect(result.output).toContain('bench/reaches-in.ts');
    expect(result.output).not.toContain('bench/uses-the-face.ts');
  });

  it('fail a test kit module that imports a test', async () => {
    const result = await cruise('test/fixtures/boundaries/testkit');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('the-test-kit-stands-alone');
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

  it('fail a page that takes a value (not a type) from the API shapes, and API shapes that import code', async () => {
    const result = await cruise('test/fixtures/boundaries/web', 'test/fixtures/boundaries/src/services/console');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('web-reads-api-shapes-as-types-only: test/fixtures/boundaries/web/reads-shapes.ts');
    expect(result.output).toContain('api-shapes-import-no-code');
  });

  it('fail a verb that imports another verb, and pass the one imported', async () => {
    const result = await cruise('test/fixtures/boundaries/src/cli');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('a-verb-is-one-file: test/fixtures/boundaries/src/cli/verbs/audit.ts');
    expect(result.output).not.toContain('verbs/status.ts →');
  });
});
