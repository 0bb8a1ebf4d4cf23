import { build } from 'esbuild';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/runtime/package-root.js';
import { CONSUMERS } from './names.js';

/**
 * The three Lambda functions' code (`src/lambda/<name>.ts`), each bundled with everything it imports
 * into `<outdir>/<name>/index.mjs`: what the CDK app uploads. ES modules for Node.js 22+; the banner
 * gives the CommonJS packages in the bundle the `require` they expect. `npm run aws:bundle` runs it
 * into dist/lambda, and the Lambda tests bundle and invoke the same way.
 */
export async function bundleLambdas(outdir = join(packageRoot(), 'dist', 'lambda')): Promise<void> {
  await build({
    entryPoints: CONSUMERS.map((name) => ({
      in: join(packageRoot(), 'src', 'lambda', `${name}.ts`),
      out: `${name}/index`,
    })),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: {
      js: "import { createRequire as __exodusRequire } from 'node:module'; const require = __exodusRequire(import.meta.url);",
    },
    // Minified: a smaller package loads faster on a cold start. The source maps (and NODE_OPTIONS
    // --enable-source-maps, consumers.ts) turn stack traces back into src/ lines; names are kept so
    // error names and class names in logs stay readable.
    minify: true,
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  bundleLambdas().catch((error: unknown) => {
    console.error(`aws:bundle: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
