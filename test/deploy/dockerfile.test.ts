// The Dockerfile cannot be built here (no Docker engine): these check what can be checked without one,
// the promises its comments make, and that .dockerignore lets in exactly what its COPY lines need.
import { IgnoreStrategy } from 'aws-cdk-lib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
/** Instructions, continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
/** The instructions of each stage, its FROM first (ARGs before the first FROM belong to none). */
const stages: string[][] = [];
for (const line of instructions) {
  if (line.startsWith('FROM ')) stages.push([line]);
  else stages.at(-1)?.push(line);
}
const runtime = stages.at(-1) ?? [];
const ignore = IgnoreStrategy.docker(root, readFileSync(join(root, '.dockerignore'), 'utf8').split('\n'));
const inContext = (path: string): boolean => !ignore.ignores(join(root, path));

describe('Dockerfile', () => {
  it('builds in stages and runs from node 22 or 24 (bookworm-slim)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:2[24]-bookworm-slim$/m);
    expect(runtime[0]).toMatch(/^FROM (\$\{NODE_IMAGE\}|base) AS runtime$/);
  });

  it('compiles with the dev dependencies, installs only production ones for the runtime, and never runs "prepare" there', () => {
    expect(instructions).toContain('RUN npm run build');
    const prodInstall = instructions.find((line) => line.includes('--omit=dev'));
    expect(prodInstall).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(prodInstall).toMatch(/npm rebuild better-sqlite3/);
    // The runtime stage installs nothing itself: it copies node_modules from the production stage.
    expect(runtime.filter((line) => /\bnpm (ci|install)\b/.test(line))).toEqual([]);
    expect(runtime).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
  });

  it('ships the compiled code, the web pages and the package root the code finds them from', () => {
    for (const line of [
      'COPY package.json ./',
      'COPY bin ./bin',
      'COPY --from=build /app/dist/src ./dist/src',
      'COPY --from=build /app/dist/web ./dist/web',
      'COPY proto ./proto',
    ]) {
      expect(runtime).toContain(line);
    }
    // src/services/frontend/page-routes.ts serves <package root>/dist/web/page; package-root.ts finds the root by package.json.
    expect(readFileSync(join(root, 'src/services/frontend/page-routes.ts'), 'utf8')).toContain(
      "join(packageRoot(), 'dist', 'web', 'page')",
    );
  });

  it('runs as node, listens on 0.0.0.0:3000, exec-form entrypoint (SIGTERM reaches node), serve frontend by default', () => {
    expect(runtime).toContain('USER node');
    expect(runtime.find((line) => line.startsWith('ENV '))).toMatch(/EXODUS_HOST=0\.0\.0\.0/);
    expect(runtime).toContain('EXPOSE 3000');
    expect(runtime).toContain('ENTRYPOINT ["node", "bin/exodus.js"]');
    expect(runtime).toContain('CMD ["serve", "frontend"]');
    expect(instructions.filter((line) => /^(ENTRYPOINT|CMD) [^[]/.test(line))).toEqual([]);
  });

  it('checks liveness with node itself (no curl in the slim image), in exec form', () => {
    const healthcheck = runtime.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/healthz.*"\]$/);
    expect(healthcheck).not.toMatch(/curl|wget/);
  });
});

describe('.dockerignore', () => {
  it('lets in everything the COPY lines name', () => {
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(inContext(source), source).toBe(true);
    }
    for (const file of ['src/cli/main.ts', 'web/page/index.html', 'bin/exodus.js', 'proto/README.md', 'Dockerfile'])
      expect(inContext(file), file).toBe(true);
  });

  it('keeps out local state, build output, history and secrets', () => {
    for (const path of [
      'node_modules/fastify/package.json',
      'dist/src/cli/main.js',
      '.git/HEAD',
      'reports/mutation/index.html',
      'test-output/x.json',
      '.exodus/pass-secret',
      'deploy/aws/cdk.out/manifest.json',
      'bench/results/run.json',
      'pass-secret',
      'test/unit/boundaries.test.ts',
      'src/node_modules/x.js',
      'web/dist/main.js',
    ]) {
      expect(inContext(path), path).toBe(false);
    }
  });
});
