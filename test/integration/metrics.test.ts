import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMessaging } from '../../src/engines/index.js';
import { QUEUES } from '../../src/ports/index.js';
import { observeQueue, observeTally, startHealthServer } from '../../src/runtime/index.js';
import { buildPipeline, passFor, telemetry, type Pipeline } from '../../testkit/in-process.js';
import {
  BIN,
  exodus,
  freePort,
  generateRoster,
  postWish,
  skipUnless,
  startSystem,
  submitWish,
  tempDir,
  waitFor,
  type RunningSystem,
} from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';

const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const skipPromtool = skipUnless(HAVE_PROMTOOL, 'promtool not found (apt-get install prometheus)');

/** The value of the first sample of `name` whose labels include every `label="value"` given. */
function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics: Prometheus text at /metrics, from the OpenTelemetry SDK', () => {
  let p: Pipeline;
  let scrape: () => Promise<string>;
  beforeAll(async () => {
    p = await buildPipeline({ logLevel: 'silent' });
    observeQueue(p.messaging.queue(QUEUES.store));
    observeTally(p.storage.readModel);
    p.startConsumers();
    scrape = async () => {
      const res = await p.app.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      return res.body;
    };
    const post = (evacueeId: string, message: string) =>
      p.app.inject({
        method: 'POST',
        url: '/api/wishes',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${passFor(evacueeId)}` },
        payload: { destination: 'mars', message },
      });
    for (let i = 1; i <= 5; i++) await post(`EV-0070${i}`, `wish ${i}`);
    await post('EV-00701', 'a newer wish supersedes the first');
    await p.app.inject({
      method: 'POST',
      url: '/api/wishes',
      headers: { 'content-type': 'application/json' },
      payload: { destination: 'mars', message: 'no pass' },
    });
    await waitFor(
      async () => (await p.app.inject('/api/tally')).json<{ mars: number }>().mars === 5,
      10_000,
      'never tallied',
    );
  });
  afterAll(async () => {
    await p?.close();
  });

  it('counts wishes by outcome, requests by route and status, and every queue hop, with the semantic-convention names', async () => {
    let text = '';
    await waitFor(
      async () => {
        text = await scrape();
        return (sample(text, 'exodus_wishes_total', { exodus_wish_outcome: 'stored' }) ?? 0) >= 5;
      },
      10_000,
      'stored wishes never counted',
    );
    expect(sample(text, 'exodus_wishes_total', { exodus_wish_outcome: 'accepted' })).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'exodus_wishes_total', { exodus_wish_outcome: 'stored' })).toBeGreaterThanOrEqual(5);
    expect(
      sample(text, 'http_server_request_duration_count', {
        http_route: '/api/wishes',
        http_response_status_code: '202',
        http_request_method: 'POST',
      }),
    ).toBeGreaterThanOrEqual(6);
    expect(
      sample(text, 'http_server_request_duration_count', {
        http_route: '/api/wishes',
        http_response_status_code: '401',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'messaging_client_sent_messages_total', {
        messaging_destination_name: 'intake',
        messaging_operation_name: 'send',
      }),
    ).toBeGreaterThanOrEqual(6);
    expect(
      sample(text, 'messaging_client_consumed_messages_total', { messaging_destination_name: 'store' }),
    ).toBeGreaterThanOrEqual(6);
    expect(
      sample(text, 'messaging_process_duration_count', { messaging_destination_name: 'tally' }),
    ).toBeGreaterThanOrEqual(6);
    expect(
      sample(text, 'messaging_client_operation_duration_count', { messaging_operation_name: 'receive' }),
    ).toBeGreaterThan(0);
  });

  it('times a failed message with its error type, and shows it dead in the queue depth', async () => {
    await p.messaging.queue(QUEUES.intake).send([envelope('poison-for-metrics', { not: 'a wish' })]);
    let text = '';
    await waitFor(
      async () => {
        text = await scrape();
        return (
          sample(text, 'messaging_process_duration_count', {
            messaging_destination_name: 'intake',
            error_type: 'poison_message',
          }) === 1
        );
      },
      10_000,
      'the failed message was never timed with its error type',
    );
    expect(
      sample(text, 'messaging_process_duration_count', {
        messaging_destination_name: 'store',
        error_type: 'poison_message',
      }),
    ).toBeUndefined();
  });

  it('shows the tally by destination, read from the read model at each scrape', async () => {
    const text = await scrape();
    expect(sample(text, 'exodus_tally_wishes', { exodus_destination: 'mars' })).toBe(5);
    expect(sample(text, 'exodus_tally_wishes', { exodus_destination: 'europa' })).toBe(0);
  });

  it('times each wish from its 202 to the wall once (the freshness SLO), within its buckets', async () => {
    const text = await scrape();
    // Every accepted wish reached the wall (an evacuee's second wish too: it replaced the first there).
    const accepted = sample(text, 'exodus_wishes_total', { exodus_wish_outcome: 'accepted' });
    expect(sample(text, 'exodus_wish_time_to_wall_count')).toBe(accepted);
    expect(sample(text, 'exodus_wish_time_to_wall_bucket', { le: '10' })).toBe(accepted);
  });

  it('shows queue depth by state, a retry waiting out its delay as delayed, and the Node runtime', async () => {
    // A queue no consumer of this file reads, so the retried message stays where the test put it.
    const idle = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: 5 });
    try {
      const tally = idle.queue(QUEUES.tally);
      observeQueue(tally);
      await tally.send([envelope('held-back')]);
      for (const delivery of await tally.receive(10, 60_000)) await delivery.retry(60_000, 'not yet');
      const text = await scrape();
      for (const state of ['ready', 'in_flight', 'dead'])
        expect(
          sample(text, 'exodus_queue_messages', { messaging_destination_name: 'store', exodus_queue_state: state }),
          state,
        ).toBeGreaterThanOrEqual(0);
      expect(
        sample(text, 'exodus_queue_messages', { messaging_destination_name: 'tally', exodus_queue_state: 'delayed' }),
      ).toBe(1);
      expect(
        sample(text, 'exodus_queue_messages', { messaging_destination_name: 'tally', exodus_queue_state: 'ready' }),
      ).toBe(0);
    } finally {
      await idle.close();
    }
    const text = await scrape();
    expect(
      sample(text, 'exodus_queue_oldest_message_age', { messaging_destination_name: 'store' }),
    ).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_memory_usage')).toBeGreaterThan(10_000_000);
    expect(text).toMatch(/^nodejs_eventloop_delay_p99/m);
    expect(text).toMatch(/^v8js_memory_heap_used/m);
  });

  it('a consumer serves the same on its health port', async () => {
    const health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      ready: async () => undefined,
      serveMetrics: telemetry.serveMetrics,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${health.port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^exodus_wishes_total/m);
    } finally {
      health.server.close();
    }
  });

  it.skipIf(skipPromtool)('passes promtool check metrics', async () => {
    const check = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('metrics of every process of `exodus up`', () => {
  let system: RunningSystem | undefined;
  afterAll(async () => {
    await system?.stop();
  });

  it('status lists where each process is scraped; each answers, and passes promtool; the scrape config finds them', async () => {
    system = await startSystem({ replicas: 'parser=1,worker=2,tally=1' });
    const status = await exodus(['status', '--data', system.dataDir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const supervisor = (
      JSON.parse(status.stdout) as {
        supervisor: {
          endpoints: Record<string, string>;
          processes: { service: string; replica: number; metricsUrl?: string }[];
        };
      }
    ).supervisor;
    expect(supervisor.processes.map((p) => `${p.service}-${p.replica}`)).toEqual([
      'console-1',
      'frontend-1',
      'parser-1',
      'worker-1',
      'worker-2',
      'tally-1',
    ]);
    expect(supervisor.endpoints['console']).toBe(system.consoleUrl);
    // Every process is scraped, the console (which exports nothing, to keep from sending to itself) included.
    const processes = supervisor.processes;
    for (const { service, replica, metricsUrl } of processes) {
      let body = '';
      await waitFor(
        async () => {
          const res = await fetch(metricsUrl ?? '').catch(() => undefined);
          body = res?.ok === true ? await res.text() : '';
          return body.includes('process_memory_usage');
        },
        15_000,
        `${service}-${replica} never answered at ${metricsUrl ?? '(none)'}`,
      );
      if (HAVE_PROMTOOL) {
        const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
        expect(`${check.stdout}${check.stderr}`.trim(), `${service}-${replica}`).toBe('');
      }
    }
    const targets = JSON.parse(readFileSync(join(system.dataDir, 'prometheus-targets.json'), 'utf8')) as {
      targets: string[];
      labels: { service: string };
    }[];
    expect(targets.map((t) => t.targets[0])).toEqual(processes.map((p) => new URL(p.metricsUrl ?? '').host));
    if (HAVE_PROMTOOL)
      expect(spawnSync('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']).status).toBe(0);
  }, 60_000);
});

// The AWS stack (and the Helm chart) set EXODUS_HEALTH_PORT for the frontend: the scrape then lives only
// on that internal listener, so no spelling of the path (`/%6Detrics` passes an ALB's exact-path rule,
// and the router decodes it) reaches it from the internet. The stack also sets EXODUS_EMF_NAMESPACE:
// the wish-acceptance SLO's counts as CloudWatch EMF on stdout.
describe('the frontend as the AWS stack runs it (a health port, EMF counts)', () => {
  let child: ChildProcess | undefined;
  let stdout = '';
  let dataDir = '';
  let publicUrl = '';
  let healthUrl = '';
  let pass = '';
  beforeAll(async () => {
    dataDir = tempDir();
    pass = (await generateRoster(dataDir, 1))[0]?.pass ?? '';
    const [port, healthPort] = [await freePort(), await freePort()];
    publicUrl = `http://127.0.0.1:${port}`;
    healthUrl = `http://127.0.0.1:${healthPort}`;
    const started = spawn(process.execPath, [BIN, 'serve', 'frontend', '--data', dataDir, '--port', String(port)], {
      env: {
        ...process.env,
        EXODUS_HEALTH_PORT: String(healthPort),
        EXODUS_EMF_NAMESPACE: 'ExodusTest',
        // The second write without a pass is refused 429 (a good answer), the first 401 (not counted).
        EXODUS_IP_FAILED_WRITES_PER_MINUTE: '1',
        EXODUS_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child = started;
    const status = async (url: string): Promise<number | undefined> =>
      (await fetch(url).catch(() => undefined))?.status;
    // Until then a just-started process may still shed (503) what is not a probe, on a busy machine.
    await waitFor(
      async () =>
        started.exitCode === null &&
        (await status(`${healthUrl}/readyz`)) === 200 &&
        (await status(`${publicUrl}/no-such-page`)) === 404,
      30_000,
      'the frontend never answered on both ports',
    );
  }, 60_000);
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['/metrics', '/%6Detrics', '/%6d%65trics'])('answers %s on the public port with 404', async (path) => {
    const res = await fetch(`${publicUrl}${path}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/^# (HELP|TYPE) /m);
  });

  it('keeps its probes on the public port and serves them, with the Prometheus text, on the health port', async () => {
    // HSTS on every public answer (helmet's default; browsers ignore it over plain HTTP).
    expect((await fetch(`${publicUrl}/healthz`)).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    for (const base of [publicUrl, healthUrl]) {
      expect((await fetch(`${base}/healthz`)).status, base).toBe(200);
      expect((await fetch(`${base}/readyz`)).status, base).toBe(200);
    }
    const res = await fetch(`${healthUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^process_memory_usage/m);
  });

  it('writes the wish answers it gave as good and total counts in EMF when it stops', async () => {
    const wish = { destination: 'mars', message: 'counted' };
    expect((await submitWish(publicUrl, pass, wish)).status).toBe(202);
    expect((await postWish(publicUrl, '', wish)).status).toBe(401);
    expect((await postWish(publicUrl, '', wish)).status).toBe(429);
    const exited = new Promise((done) => child?.once('exit', done));
    child?.kill('SIGTERM');
    await exited;
    const lines = stdout.split('\n').filter((line) => line.includes('"_aws"'));
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    // The 202 and the 429 are good (and any shed a busy machine provoked on the way); the 401 (no pass:
    // the client's mistake) is not counted at all.
    expect(emf).toMatchObject({ service: 'exodus-frontend' });
    expect(emf['WishAnswersTotal']).toBeGreaterThanOrEqual(2);
    expect(emf['WishAnswersGood']).toBe(emf['WishAnswersTotal']);
    expect(JSON.stringify(emf['_aws'])).toContain('"Namespace":"ExodusTest"');
  }, 30_000);
});
