import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import { buildConsoleApp } from '../../../src/services/console/index.js';
import { tempDir } from '../../../testkit/index.js';

function pageFixture(): string {
  const dir = join(tempDir('exodus-console-probes-'), 'web');
  mkdirSync(dir, { recursive: true });
  for (const file of ['index.html', 'login.html']) writeFileSync(join(dir, file), '<!doctype html>');
  return dir;
}

describe('the console probes', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  it('/readyz is ready while its store can be read, and says why not once it cannot; /healthz stays alive', async () => {
    const store = openTelemetryStore(tempDir('exodus-console-probes-store-'));
    app = await buildConsoleApp({
      store,
      adminToken: 'probe-token-0123456789',
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
    });

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });

    store.close();
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.headers['retry-after']).toBe('5');
    const answer: { status: string; reason: string } = notReady.json();
    expect(answer.status).toBe('not ready');
    expect(answer.reason).toMatch(/not open/);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
