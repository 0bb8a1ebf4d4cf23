import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNamespace } from '../../src/engines/index.js';
import type { Journal } from '../../src/ops/chaos/index.js';
import { findNatsServer } from '../../src/ops/chaos/nats-server.js';
import type { LoadReport } from '../../src/ops/load/index.js';
import {
  BIN,
  exodus,
  freePort,
  generateRoster,
  HAVE_NATS_SERVER,
  HAVE_POSTGRES_BINARIES,
  skipUnless,
  startPrivateNats,
  startPrivatePostgres,
  startSystem,
  tempDir,
  waitFor,
  type RunningSystem,
} from '../../testkit/index.js';
import {
  POSTGRES_UNAVAILABLE,
  TEST_POSTGRES_URL,
  testPostgresUrl,
  testSchemaName,
} from '../contract/postgres-fixture.js';

const CI_LOAD = 'test/fixtures/chaos/ci-load.yaml';

function results(dir: string): LoadReport {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as LoadReport;
}

function ledgerLines(dir: string): number {
  return readFileSync(join(dir, 'ledger.ndjson'), 'utf8')
    .split('\n')
    .filter((line) => line !== '').length;
}

/**
 * The proofs users run, as CI runs them short: `exodus load` in phases beside `exodus chaos`, then
 * `exodus audit` on the load's ledger. Each a real `exodus up` and the real CLI.
 */
describe('exodus load, chaos and audit together', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const system = async (
    options: { env?: NodeJS.ProcessEnv; replicas?: string; engineArgs?: string[] } = {},
  ): Promise<{ exodus: RunningSystem; roster: string }> => {
    const dataDir = tempDir();
    await generateRoster(dataDir, 1000, options.engineArgs ?? []);
    const up = await startSystem({
      dataDir,
      extraArgs: options.engineArgs ?? [],
      env: { EXODUS_RETRY_MAX_MS: '2000', ...options.env },
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    });
    cleanups.push(() => up.stop());
    return { exodus: up, roster: join(dataDir, 'roster.csv') };
  };

  it('a load while a worker is killed every 2 s: the hypothesis holds, the load passes, and the audit finds every 202', async () => {
    const { exodus: up, roster } = await system({ replicas: 'parser=1,worker=2,tally=1' });
    const out = tempDir();
    const load = exodus([
      'load',
      '--target',
      up.url,
      '--roster',
      roster,
      '--scenario',
      CI_LOAD,
      '--data',
      up.dataDir,
      '--out',
      join(out, 'load'),
    ]);
    await new Promise((done) => setTimeout(done, 4_000));
    const chaos = await exodus([
      'chaos',
      'kill',
      '--service',
      'worker',
      '--every',
      '2s',
      '--for',
      '10s',
      '--data',
      up.dataDir,
      '--out',
      join(out, 'chaos'),
    ]);
    expect(chaos.code, chaos.stdout + chaos.stderr).toBe(0);
    const journal = JSON.parse(readFileSync(join(out, 'chaos', 'journal.json'), 'utf8')) as Journal;
    expect(journal.verdict).toBe('hypothesis held');
    expect(journal.steps.filter((step) => step.action === 'killed').length).toBeGreaterThanOrEqual(5);

    const loaded = await load;
    expect(loaded.code, loaded.stdout + loaded.stderr).toBe(0);
    const report = results(join(out, 'load'));
    expect(report.pass).toBe(true);
    expect(report.result.accepted).toBeGreaterThan(400);
    // The kill, run from another command, is on the load's time axis (found in the data dir).
    expect(report.result.marks.map((mark) => mark.label)).toEqual(['kill -9 a worker every 2 s for 10 s']);
    expect(report.audit).toMatchObject({ ok: true, lost: 0, accepted: report.result.accepted });
    expect(ledgerLines(join(out, 'load'))).toBe(report.result.accepted);

    const audit = await exodus([
      'audit',
      '--ledger',
      join(out, 'load', 'ledger.ndjson'),
      '--data',
      up.dataDir,
      '--json',
    ]);
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true, lost: [], onTheirWay: [], tallyMatches: true });
  }, 120_000);

  it('overload: the door sheds with 503 and Retry-After, fails nothing else, and keeps every wish it accepted', async () => {
    // A small write gate makes this short run overload the door on any machine.
    const { exodus: up, roster } = await system({ env: { EXODUS_MAX_IN_FLIGHT_WRITES: '16' } });
    const out = tempDir();
    const run = await exodus([
      'load',
      '--target',
      up.url,
      '--roster',
      roster,
      '--scenario',
      'overload',
      '--rate',
      '150',
      '--duration',
      '15s',
      '--connections',
      '300',
      '--data',
      up.dataDir,
      '--out',
      out,
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = results(out);
    expect(report.result.shed).toBeGreaterThan(100);
    expect(report.result.byAction.post.answers['503']).toBeGreaterThan(100);
    expect(report.result).toMatchObject({ shedWithoutRetryAfter: 0, unexpected5xx: 0 });
    expect(report.result.retries).toBeGreaterThan(0);
    expect(report.audit).toMatchObject({ ok: true, lost: 0 });
  }, 120_000);

  it('a bad scenario is a one-line error naming the line; an audit threshold without the engines is refused before any load', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, readFileSync(CI_LOAD, 'utf8').replace('errors: { max: 0 }', 'erors: { max: 0 }'));
    const mistyped = await exodus(['load', '--target', 'http://127.0.0.1:9', '--roster', bad, '--scenario', bad]);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr.trim()).toMatch(/^exodus: .*bad\.yaml:\d+: unknown key "erors" in "thresholds"/);
    const roster = join(dir, 'roster.csv');
    writeFileSync(roster, 'evacuee_id,name,boarding_pass\nEV-00001,A,x.y.z\n');
    const noEngines = await exodus(
      ['load', '--target', 'http://127.0.0.1:9', '--roster', roster, '--scenario', 'baseline'],
      { EXODUS_DATA: '' },
    );
    expect(noEngines.code).toBe(2);
    expect(noEngines.stderr).toMatch(/thresholds only an audit can measure/);
  });
});

const proxySkip = skipUnless(
  POSTGRES_UNAVAILABLE === undefined,
  `the fault-proxy run needs PostgreSQL (${POSTGRES_UNAVAILABLE ?? ''})`,
);

describe.skipIf(proxySkip)('exodus chaos through a fault proxy in front of PostgreSQL', () => {
  it('300 ms on every packet to the store, then its connections reset, under a load: hypothesis held, every 202 kept', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const proxy = spawn(
      process.execPath,
      [
        BIN,
        'chaos',
        'proxy',
        '--name',
        'store',
        '--listen',
        `127.0.0.1:${port}`,
        '--to',
        new URL(TEST_POSTGRES_URL).host || '127.0.0.1:5432',
        '--data',
        dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let proxyOutput = '';
    proxy.stdout.on('data', (chunk: Buffer) => (proxyOutput += chunk.toString()));
    const schema = testSchemaName();
    const direct = testPostgresUrl(schema);
    const throughProxy = direct.replace(new URL(direct).host, `127.0.0.1:${port}`);
    let up: RunningSystem | undefined;
    try {
      await waitFor(() => proxyOutput.includes('fault proxy store'), 10_000, `the proxy did not start: ${proxyOutput}`);
      await generateRoster(dataDir, 500, ['--store', throughProxy]);
      up = await startSystem({ dataDir, extraArgs: ['--store', throughProxy], env: { EXODUS_RETRY_MAX_MS: '2000' } });
      const out = tempDir();
      const run = await exodus([
        'chaos',
        'run',
        'test/fixtures/chaos/ci-network.yaml',
        '--roster',
        join(dataDir, 'roster.csv'),
        '--data',
        dataDir,
        '--store',
        throughProxy,
        '--out',
        out,
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const journal = JSON.parse(readFileSync(join(out, 'journal.json'), 'utf8')) as Journal;
      expect(
        journal.steps.filter((step) => step.action.startsWith('network fault')).map((step) => step.action),
      ).toEqual(['network fault on', 'network fault off', 'network fault on', 'network fault off']);
      expect(proxyOutput).toContain('fault on: {"kind":"latency","ms":300}');
      expect(proxyOutput).toContain('fault on: {"kind":"reset"}');
      const report = results(join(out, 'load'));
      expect(report.audit).toMatchObject({ ok: true, lost: 0 });
      expect(report.result).toMatchObject({ errors: 0, unexpected5xx: 0 });
    } finally {
      await up?.stop();
      proxy.kill('SIGTERM');
      await destroyNamespace(direct);
    }
  }, 150_000);
});

const distributedSkip = skipUnless(
  HAVE_POSTGRES_BINARIES && HAVE_NATS_SERVER,
  'the distributed chaos run needs the PostgreSQL and nats-server binaries',
);

describe.skipIf(distributedSkip)('exodus chaos on NATS JetStream + PostgreSQL (servers of the test’s own)', () => {
  it('the store away for 8 s, then the broker restarted in lame-duck mode, then poison, under one load: hypothesis held, every 202 kept, the poison parked and purged', async () => {
    const postgres = await startPrivatePostgres();
    const nats = await startPrivateNats();
    let up: RunningSystem | undefined;
    try {
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query('CREATE DATABASE exodus');
      await admin.end();
      const storeUrl = postgres.url.replace(/\/postgres$/, '/exodus');
      const engineArgs = ['--queue', nats.url, '--store', storeUrl];
      const dataDir = tempDir();
      await generateRoster(dataDir, 1000, engineArgs);
      up = await startSystem({ dataDir, extraArgs: engineArgs, env: { EXODUS_RETRY_MAX_MS: '2000' } });
      const out = tempDir();
      const run = await exodus([
        'chaos',
        'run',
        'test/fixtures/chaos/ci-distributed.yaml',
        '--roster',
        join(dataDir, 'roster.csv'),
        '--data',
        dataDir,
        ...engineArgs,
        '--out',
        out,
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const journal = JSON.parse(readFileSync(join(out, 'journal.json'), 'utf8')) as Journal;
      expect(journal.verdict).toBe('hypothesis held');
      expect(journal.steps.map((step) => step.action)).toEqual(
        expect.arrayContaining([
          'store unavailable',
          'store available',
          'broker stopping',
          'broker started',
          'poison sent',
          'poison purged',
        ]),
      );
      const report = results(join(out, 'load'));
      expect(report.audit).toMatchObject({ ok: true, lost: 0 });
      expect(report.result).toMatchObject({ errors: 0, unexpected5xx: 0, shedWithoutRetryAfter: 0 });
      expect(report.result.marks.map((mark) => mark.label)).toEqual([
        'store outage for 8 s',
        'lame-duck broker restart, down 1 s',
        '3 poison messages',
      ]);
    } finally {
      await up?.stop();
      // The broker was restarted by the experiment, detached from the test: stop that one by its pid.
      const restarted = findNatsServer(nats.port);
      if (restarted !== undefined && restarted.pid !== nats.pid()) process.kill(restarted.pid, 'SIGKILL');
      await nats.destroy();
      await postgres.destroy();
    }
  }, 180_000);
});
