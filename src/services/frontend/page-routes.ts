import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/index.js';

/** Where `npm run build` puts the page (web/page bundled by esbuild): `dist/web/page` under the package root. */
export function defaultWebRoot(): string {
  return join(packageRoot(), 'dist', 'web', 'page');
}

/** The page's static "sorry" state, sent while load is shed; read once so shedding costs no disk. */
export function readSorryPage(webRoot: string): string {
  return readFileSync(join(webRoot, 'sorry.html'), 'utf8');
}

/** Serves the web page at `/`: built files only, revalidated on each load (names carry no hash). */
export async function registerPageRoutes(app: FastifyInstance, webRoot: string): Promise<void> {
  if (!existsSync(join(webRoot, 'index.html')))
    throw new Error(`the web page is not built (${webRoot}): run npm run build`);
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', maxAge: 0, schemaHide: true });
}
