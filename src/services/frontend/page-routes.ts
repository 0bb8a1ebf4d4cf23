import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the page (web/page bundled by esbuild): `dist/web/page` under the
 * package root, found from this file whether it runs compiled (dist/src/…) or as source (tests).
 */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root to serve the web page from');
    dir = parent;
  }
  return join(dir, 'dist', 'web', 'page');
}

/** The page's static "sorry" state, sent while load is shed; read once so shedding costs no disk. */
export function readSorryPage(webRoot: string): string {
  return readFileSync(join(webRoot, 'sorry.html'), 'utf8');
}

/** Serves the web page at `/`: built files only, revalidated on each load (names carry no hash). */
export async function registerPageRoutes(app: FastifyInstance, webRoot: string): Promise<void> {
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`the web page is not built (${webRoot}): run npm run build`);
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', maxAge: 0, schemaHide: true });
}
