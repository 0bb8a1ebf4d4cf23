import { parseDocument } from 'htmlparser2';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCursor, issuePass } from '../../src/domain/index.js';
import type { Queue } from '../../src/ports/index.js';
import { loadConfig } from '../../src/runtime/index.js';
import { buildPipeline, counted, passFor, type Pipeline, type PipelineOptions } from '../../testkit/in-process.js';
import { intercept, saturate, tempDir, waitFor } from '../../testkit/index.js';

const wish = { destination: 'mars', to: 'Mum', message: 'Keep the garden alive' };

describe('the front door', () => {
  let p: Pipeline | undefined;
  const open = async (options: PipelineOptions = {}): Promise<Pipeline> => (p = await buildPipeline(options));
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  const post = (
    app: Pipeline,
    pass: string,
    options: { address?: string; headers?: Record<string, string>; body?: unknown } = {},
  ) =>
    app.app.inject({
      method: 'POST',
      url: '/api/wishes',
      remoteAddress: options.address ?? '127.0.0.1',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${pass}`, ...options.headers },
      payload: JSON.stringify(options.body ?? wish),
    });

  describe('headers', () => {
    it('serves the page with a strict CSP (own files only, Trusted Types, no unsafe-inline) and security headers', async () => {
      const app = await open();
      for (const url of ['/', '/main.js', '/styles.css', '/api/tally', '/api/nothing-here']) {
        const res = await app.app.inject(url);
        const csp = res.headers['content-security-policy'];
        expect(csp, url).toContain("default-src 'none'");
        expect(csp, url).toContain("script-src 'self'");
        expect(csp, url).toContain("require-trusted-types-for 'script'");
        expect(csp, url).toContain("frame-ancestors 'none'");
        expect(csp, url).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
        expect(res.headers, url).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-resource-policy': 'same-origin',
        });
        expect(res.headers['permissions-policy'], url).toContain('camera=()');
      }
      const page = await app.app.inject('/');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect((await app.app.inject('/main.js')).headers['content-type']).toMatch(/javascript/);
    });

    it('the page has no inline script, no inline event handlers and no inline styles', async () => {
      const app = await open();
      for (const url of ['/', '/sorry.html']) {
        const elements = allElements(parseDocument((await app.app.inject(url)).body).children);
        const scripts = elements.filter((e) => e.name === 'script');
        for (const script of scripts) {
          expect(script.attribs['src'], `${url}: every script is a file`).toMatch(/^\/[\w.-]+\.js$/);
          expect(script.children, `${url}: a script element holds no code`).toEqual([]);
        }
        for (const element of elements) {
          const inline = Object.keys(element.attribs).filter((name) => name.startsWith('on') || name === 'style');
          expect(inline, `${url}: <${element.name}> has inline code or style`).toEqual([]);
        }
      }
    });
  });

  describe('rate limits', () => {
    it('a boarding hall behind one address gets in with the defaults: 600 evacuees write, 5,000 open pages poll', async () => {
      const defaults = loadConfig({}, { EXODUS_DATA: tempDir() }).frontDoor;
      let reads = 0;
      const app = await open({
        frontDoor: {
          ipFailedWritesPerMinute: defaults.ipFailedWritesPerMinute,
          evacueeWritesPerMinute: defaults.evacueeWritesPerMinute,
          ipReadsPerMinute: defaults.ipReadsPerMinute,
        },
        readModel: (real) =>
          intercept(real, (method, call) => (method === 'wall' || method === 'tally' ? (reads++, call()) : call())),
      });
      const hall = '198.51.100.7';
      const writes = await Promise.all(
        Array.from({ length: 600 }, (_, i) =>
          post(app, passFor(`EV-${String(i + 1).padStart(5, '0')}`), { address: hall }),
        ),
      );
      expect(writes.filter((res) => res.statusCode !== 202)).toEqual([]);

      const started = Date.now();
      for (let page = 0; page < 5000; page++) {
        for (const url of ['/api/tally', '/api/wall?limit=20', '/api/wall?destination=mars&limit=20']) {
          const res = await app.app.inject({ url, remoteAddress: hall });
          expect(res.statusCode, url).toBe(200);
        }
      }
      // Served from the cache: about one read-model query per distinct read per second.
      const seconds = Math.ceil((Date.now() - started) / 1000);
      expect(reads).toBeLessThanOrEqual(3 * (seconds + 1));
    }, 60_000);

    it('more distinct wall reads at once than the cache holds are all answered (a load evicted mid-flight still finishes)', async () => {
      const app = await open();
      const cursors = Array.from({ length: 1_100 }, (_, i) =>
        encodeCursor({ submittedAt: new Date(Date.UTC(2045, 0, 1) + i).toISOString(), id: `id-${i}` }),
      );
      const answers = await Promise.all(cursors.map((cursor) => app.app.inject({ url: `/api/wall?cursor=${cursor}` })));
      expect(answers.filter((res) => res.statusCode !== 200).map((res) => res.body)).toEqual([]);
    });

    it('per address, only writes without a valid pass are counted: past the allowance 429, while the hall behind it gets in', async () => {
      const app = await open({ frontDoor: { ipFailedWritesPerMinute: 3 } });
      // Writes with a valid pass never count against the address, not even malformed ones (those count per evacuee).
      for (let i = 1; i <= 20; i++)
        expect((await post(app, passFor(`EV-${String(i).padStart(5, '0')}`), { address: '10.0.0.1' })).statusCode).toBe(
          202,
        );
      expect(
        (await post(app, passFor('EV-00030'), { address: '10.0.0.1', body: { destination: 'venus', message: 'x' } }))
          .statusCode,
      ).toBe(400);
      expect(
        (await post(app, passFor('EV-00031'), { address: '10.0.0.1', headers: { 'content-type': 'text/plain' } }))
          .statusCode,
      ).toBe(415);
      // Refused passes do; X-Forwarded-For is not trusted by default, so they count against 10.0.0.1 whatever they claim.
      for (const [i, pass] of ['EV-00001.forged', '', `${passFor('EV-00002').slice(0, -2)}xx`].entries()) {
        expect(
          (await post(app, pass, { address: '10.0.0.1', headers: { 'x-forwarded-for': `203.0.113.${i}` } })).statusCode,
        ).toBe(401);
      }
      const limited = await post(app, 'EV-00001.guess', { address: '10.0.0.1' });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.json()).toMatchObject({ status: 429, type: '/problems/rate-limited' });
      expect(limited.json<{ detail: string }>().detail).toContain('without a valid boarding pass');
      // Retry-After is what is left of the minute the address spent (a loaded machine may have taken some of it).
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(30);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // A guesser learns nothing more; everyone else behind that address goes on sending, and reading.
      expect((await post(app, passFor('EV-00032'), { address: '10.0.0.1' })).statusCode).toBe(202);
      expect((await app.app.inject({ url: '/api/tally', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
      expect((await post(app, 'EV-00001.forged', { address: '10.0.0.2' })).statusCode).toBe(401);
    });

    it('the per-evacuee limit holds across addresses: a new address is no fresh allowance, and one evacuee spending it limits no one else', async () => {
      const app = await open({ frontDoor: { evacueeWritesPerMinute: 3 } });
      const pass = passFor('EV-00041');
      // Three wishes from three addresses (a phone moving between networks, or a script rotating them): the allowance is spent.
      for (const address of ['10.0.1.1', '10.0.1.2', '10.0.1.3'])
        expect((await post(app, pass, { address })).statusCode, address).toBe(202);
      for (const address of ['10.0.1.4', '10.0.1.1', '192.0.2.99']) {
        const limited = await post(app, pass, { address });
        expect(limited.statusCode, address).toBe(429);
        expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(limited.json()).toMatchObject({ status: 429, type: '/problems/rate-limited' });
        expect(limited.json<{ detail: string }>().detail).toBe(
          `at most 3 wishes per evacuee a minute; try again in ${String(limited.headers['retry-after'])} s`,
        );
        expect(limited.headers['ratelimit-limit']).toBe('3');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(30);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      // Malformed wishes with the pass count too (the limit is the evacuee's, whatever the body).
      const other = passFor('EV-00042');
      expect(
        (await post(app, other, { address: '10.0.1.1', body: { destination: 'venus', message: 'x' } })).statusCode,
      ).toBe(400);
      // Others behind the same addresses, and the same evacuee's neighbours, are not limited by it.
      expect((await post(app, other, { address: '10.0.1.1' })).statusCode).toBe(202);
      expect((await post(app, other, { address: '10.0.1.4' })).statusCode).toBe(202);
      expect((await post(app, other, { address: '10.0.1.4' })).statusCode).toBe(429);
      expect((await post(app, passFor('EV-00043'), { address: '10.0.1.1' })).statusCode).toBe(202);
    });

    it('a forged pass naming an evacuee never spends that evacuee’s allowance', async () => {
      const app = await open({ frontDoor: { evacueeWritesPerMinute: 2 } });
      const [, expiry, signature] = passFor('EV-00044').split('.');
      for (let i = 0; i < 5; i++)
        expect(
          (await post(app, `EV-00045.${expiry ?? ''}.${signature ?? ''}`, { address: `10.0.2.${i}` })).statusCode,
        ).toBe(401);
      for (let i = 0; i < 2; i++) expect((await post(app, passFor('EV-00045'))).statusCode).toBe(202);
      expect((await post(app, passFor('EV-00045'))).statusCode).toBe(429);
    });

    it('with every limit off (0), nothing is ever limited', async () => {
      const app = await open({
        frontDoor: { evacueeWritesPerMinute: 0, ipFailedWritesPerMinute: 0, ipReadsPerMinute: 0 },
      });
      for (let i = 0; i < 30; i++) {
        expect((await post(app, passFor('EV-00046'))).statusCode).toBe(202);
        expect((await post(app, 'EV-00046.forged')).statusCode).toBe(401);
        expect((await app.app.inject({ url: '/api/tally' })).statusCode).toBe(200);
      }
    });

    it('reads per address, with the probes exempt', async () => {
      const app = await open({ frontDoor: { ipReadsPerMinute: 5 } });
      const read = (url: string) => app.app.inject({ url, remoteAddress: '10.0.0.9' });
      for (const url of ['/', '/main.js', '/api/tally', '/api/wall', '/api/tally'])
        expect((await read(url)).statusCode, url).toBe(200);
      const limited = await read('/api/tally');
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
      for (let i = 0; i < 10; i++) expect((await read('/healthz')).statusCode).toBe(200);
      expect((await read('/readyz')).statusCode).toBe(200);
    });

    it('behind trusted proxies, the client address comes from X-Forwarded-For, and a forged leftmost entry does not count', async () => {
      const app = await open({ frontDoor: { ipFailedWritesPerMinute: 1, trustProxyHops: 1 } });
      const via = (forwardedFor: string, pass: string) =>
        post(app, pass, { address: '10.9.9.9', headers: { 'x-forwarded-for': forwardedFor } });
      expect((await via('203.0.113.1', 'EV-00001.wrong')).statusCode).toBe(401);
      expect((await via('203.0.113.2', 'EV-00001.wrong')).statusCode).toBe(401);
      expect((await via('203.0.113.1', 'EV-00001.wrong')).statusCode).toBe(429);
      // The client wrote the first entry itself; the proxy appended the address it saw.
      expect((await via('198.51.100.77, 203.0.113.1', 'EV-00001.wrong')).statusCode).toBe(429);
      expect((await via('203.0.113.1', passFor('EV-00004'))).statusCode).toBe(202);
    });

    it('reads, good writes and malformed writes with a valid pass never spend the address allowance', async () => {
      const app = await open({ frontDoor: { ipFailedWritesPerMinute: 1, ipReadsPerMinute: 100 } });
      for (let i = 0; i < 50; i++) await app.app.inject({ url: '/api/tally', remoteAddress: '10.0.0.5' });
      for (let i = 1; i <= 10; i++)
        expect((await post(app, passFor(`EV-0000${i - 1}`), { address: '10.0.0.5' })).statusCode).toBe(202);
      for (let i = 0; i < 5; i++)
        expect((await post(app, passFor('EV-00011'), { address: '10.0.0.5', body: { message: '' } })).statusCode).toBe(
          400,
        );
      expect((await post(app, 'EV-00001.wrong', { address: '10.0.0.5' })).statusCode).toBe(401);
    });

    it('remembers an address through a crowd: 6,000 other addresses do not reset its count', async () => {
      const app = await open({ frontDoor: { ipReadsPerMinute: 1 } });
      const read = (address: string) => app.app.inject({ url: '/api/tally', remoteAddress: address });
      expect((await read('10.0.0.1')).statusCode).toBe(200);
      expect((await read('10.0.0.1')).statusCode).toBe(429);
      for (let i = 0; i < 6000; i++) await read(`10.1.${i >> 8}.${i & 255}`);
      expect((await read('10.0.0.1')).statusCode).toBe(429);
    });

    it('a browser rate-limited on a page load gets the sorry page, not JSON', async () => {
      const app = await open({ frontDoor: { ipReadsPerMinute: 1 } });
      const load = () => app.app.inject({ url: '/', headers: { accept: 'text/html' }, remoteAddress: '10.0.0.8' });
      expect((await load()).statusCode).toBe(200);
      const limited = await load();
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^text\/html/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(30);
    });
  });

  describe('passes', () => {
    it('a forged, tampered or expired pass never replaces another evacuee’s wish', async () => {
      const app = await open();
      app.startConsumers();
      const victim = 'EV-00001';
      const original = await post(app, passFor(victim));
      expect(original.statusCode).toBe(202);
      const { id } = original.json<{ id: string }>();
      await waitFor(
        async () => (await app.app.inject(`/api/wishes/${id}`)).json<{ status: string }>().status === 'stored',
        10_000,
        'original wish never stored',
      );

      const [, othersExpiry, othersSignature] = passFor('EV-00002').split('.');
      const [, victimsExpiry, victimsSignature] = passFor(victim).split('.');
      const attempts: Record<string, string> = {
        'signed with another secret': issuePass(
          'some-other-deployment-secret-xyz',
          victim,
          new Date(Date.now() + 86_400_000),
        ),
        "another evacuee's pass with the id swapped": `${victim}.${othersExpiry ?? ''}.${othersSignature ?? ''}`,
        'expiry extended by its holder': `${victim}.${(parseInt(victimsExpiry ?? '0', 36) + 3600).toString(36)}.${victimsSignature ?? ''}`,
        'genuine but expired': passFor(victim, new Date(Date.now() - 1000)),
        'no signature': `${victim}.${victimsExpiry ?? ''}`,
      };
      for (const [how, pass] of Object.entries(attempts)) {
        const res = await post(app, pass, { body: { destination: 'europa', message: 'overwritten by an attacker' } });
        expect(res.statusCode, how).toBe(401);
        expect(res.json<{ detail: string }>().detail, how).toMatch(/malformed|signature|expired/);
      }
      expect((await post(app, passFor(victim, new Date(Date.now() - 1000)))).json<{ detail: string }>().detail).toMatch(
        /^boarding pass expired at /,
      );

      // Give the pipeline time to have stored anything that slipped through, then look.
      await sleep(300);
      const wall = (await app.app.inject('/api/wall')).json<{
        items: { id: string; evacueeId: string; message: string }[];
      }>();
      expect(wall.items).toEqual([expect.objectContaining({ id, evacueeId: victim, message: wish.message })]);
      expect((await app.app.inject('/api/tally')).json()).toEqual({ mars: 1, europa: 0 });
    });
  });

  describe('load shedding', () => {
    it('refuses writes at once (503 + Retry-After) while the intake queue is unreachable; reads, the page and probes go on', async () => {
      const app = await open();
      await app.messaging.close();
      // Within a ping (1 s) the gate knows: no more waiting on a send that cannot succeed.
      await waitFor(
        async () => (await post(app, passFor('EV-00001'))).headers['retry-after'] === '5',
        5_000,
        'never refused',
      );
      const refused = await post(app, passFor('EV-00001'));
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ type: '/problems/intake-unavailable' });
      expect((await app.app.inject('/api/tally')).statusCode).toBe(200);
      expect((await app.app.inject('/api/wall')).statusCode).toBe(200);
      expect((await app.app.inject({ url: '/', headers: { accept: 'text/html' } })).statusCode).toBe(200);
      expect((await app.app.inject('/healthz')).statusCode).toBe(200);
      expect((await app.app.inject('/readyz')).statusCode).toBe(503);
      // Said once when it went, not at every ping.
      await sleep(2_100);
      expect(
        app.logs.lines().filter((line) => line['msg'] === 'intake queue unreachable: refusing writes'),
      ).toHaveLength(1);
    });

    it('sheds everything but the probes while the event loop lags (a browser gets the sorry page), and recovers', async () => {
      const app = await open({ frontDoor: { shedEventLoopDelayMs: 40 } });
      const overloaded = saturate();
      try {
        await waitFor(
          async () => (await post(app, passFor('EV-00001'))).statusCode === 503,
          5_000,
          'never shed under event-loop lag',
        );
        const shed = await post(app, passFor('EV-00001'));
        expect(shed.json()).toMatchObject({ status: 503, type: '/problems/overloaded' });
        expect(shed.headers['retry-after']).toBe('2');
        expect((await app.app.inject('/api/tally')).statusCode).toBe(503);
        const page = await app.app.inject({ url: '/', headers: { accept: 'text/html,application/xhtml+xml' } });
        expect(page.statusCode).toBe(503);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(page.headers['retry-after']).toBe('2');
        expect(page.headers['content-security-policy']).toContain("script-src 'self'");
        expect(page.body).toContain('Everyone is boarding at once');
        expect((await app.app.inject('/styles.css')).statusCode).toBe(200);
        expect((await app.app.inject('/healthz?probe=1')).statusCode).toBe(200);
      } finally {
        overloaded.stop();
      }
      await waitFor(async () => (await post(app, passFor('EV-00001'))).statusCode === 202, 5_000, 'never recovered');
    });

    it('turned-away requests are expected, not errors: counted by reason, logged a line a second at most, no stacks', async () => {
      const app = await open({ frontDoor: { evacueeWritesPerMinute: 1 }, logLevel: 'info' });
      const metric = [
        'exodus.http.server.refused_requests',
        { 'exodus.refusal.reason': 'rate-limited', 'http.response.status_code': 429 },
      ] as const;
      const before = await counted(...metric);
      const answers = [];
      for (let i = 0; i < 300; i++) answers.push(await post(app, passFor('EV-00001')));
      expect(answers.map((res) => res.statusCode).filter((status) => status !== 429)).toEqual([202]);
      expect((await counted(...metric)) - before).toBe(299);

      const refusalLines = () => app.logs.lines().filter((line) => line['msg'] === 'requests refused');
      await waitFor(
        async () => refusalLines().reduce((n, line) => n + Number(line['count']), 0) === 299,
        5_000,
        'refusals never logged',
      );
      expect(refusalLines().length).toBeLessThanOrEqual(3);
      for (const line of refusalLines()) expect(line).toMatchObject({ level: 40, status: 429, reason: 'rate-limited' });
      expect(app.logs.lines().filter((line) => Number(line['level']) >= 50)).toEqual([]);
      expect(app.logs.raw.join('\n')).not.toMatch(/\bat .+:\d+:\d+/);
    });

    it('a send slower than the timeout that then fails: 503 at the timeout, and nothing queued', async () => {
      const events: string[] = [];
      const app = await open({
        intake: (real) =>
          intercept(real, (method, call) =>
            method === 'send'
              ? sleep(2500).then(() => {
                  events.push('send failed');
                  throw new Error('disk on fire');
                })
              : call(),
          ),
      });
      const res = await post(app, passFor('EV-00001'));
      events.push(`answered ${res.statusCode}`);
      expect(res.json()).toMatchObject({ status: 503, type: '/problems/intake-unavailable' });
      expect(res.headers['retry-after']).toBe('2');
      await waitFor(async () => events.includes('send failed'), 5_000, 'send never settled');
      // The client was answered before the send gave up: no request waits on a stuck queue.
      expect(events).toEqual(['answered 503', 'send failed']);
      expect(await app.messaging.queue('intake').stats()).toMatchObject({ ready: 0, inFlight: 0 });
      // A queue that cannot take wishes is an outage, not load: logged at error level, with its cause.
      await waitFor(
        async () => app.logs.lines().some((line) => line['msg'] === 'requests refused'),
        5_000,
        'refusal never logged',
      );
      expect(app.logs.lines().find((line) => line['msg'] === 'requests refused')).toMatchObject({
        level: 50,
        status: 503,
        reason: 'intake-unavailable',
        count: 1,
        cause: 'timed out after 2000 ms',
      });
    });

    it('a send slower than the timeout that then succeeds: 503, and the wish it queued is still stored (never half-kept)', async () => {
      const app = await open({ intake: slowSends(2500) });
      app.startConsumers();
      const res = await post(app, passFor('EV-00042'), { body: { destination: 'europa', message: 'late but kept' } });
      expect(res.statusCode).toBe(503);
      await waitFor(
        async () =>
          (await app.app.inject('/api/wall'))
            .json<{ items: { evacueeId: string; message: string }[] }>()
            .items.some((item) => item.evacueeId === 'EV-00042'),
        10_000,
        'the queued wish was never stored',
      );
    });

    it('bounds the writes waiting on the queue: past the bound, 503 at once instead of a growing backlog', async () => {
      const shedCount = async () =>
        counted('exodus.http.server.refused_requests', {
          'exodus.refusal.reason': 'overloaded',
          'http.response.status_code': 503,
        });
      const shedBefore = await shedCount();
      const app = await open({ frontDoor: { maxInFlightWrites: 2 }, intake: slowSends(300) });
      const answered: number[] = [];
      const all = Array.from({ length: 6 }, (_, i) =>
        post(app, passFor(`EV-0000${i + 1}`)).then((res) => {
          answered.push(res.statusCode);
          return res;
        }),
      );
      const responses = await Promise.all(all);
      expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(2);
      const shed = responses.filter((r) => r.statusCode === 503);
      expect(shed).toHaveLength(4);
      for (const res of shed) expect(res.json()).toMatchObject({ type: '/problems/overloaded' });
      // The shed ones did not wait behind the slow sends.
      expect(answered).toEqual([503, 503, 503, 503, 202, 202]);
      expect((await shedCount()) - shedBefore).toBe(4);
      // Each settled send gives its place back: one after another, any number get through.
      for (let i = 1; i <= 8; i++) expect((await post(app, passFor(`EV-0001${i}`))).statusCode).toBe(202);
    });
  });
});

interface Element {
  readonly name: string;
  readonly attribs: Record<string, string>;
  readonly children: unknown[];
}

function allElements(nodes: readonly unknown[]): Element[] {
  return nodes.flatMap((node) => (isElement(node) ? [node, ...allElements(node.children)] : []));
}

function isElement(node: unknown): node is Element {
  return typeof node === 'object' && node !== null && 'attribs' in node && 'children' in node;
}

/** The real intake queue, with every send taking `ms` longer: a slow broker. */
function slowSends(ms: number): (real: Queue) => Queue {
  return (real) => intercept(real, (method, call) => (method === 'send' ? sleep(ms).then(call) : call()));
}
