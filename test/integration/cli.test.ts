import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPass } from '../../src/domain/index.js';
import { destroyNamespace, openMessaging } from '../../src/engines/index.js';
import { passSecret } from '../../src/runtime/index.js';
import { fauxqsEndpoint, stopFauxqs } from '../../testkit/aws/index.js';
import {
  BIN,
  exodus,
  freePort,
  generateRoster,
  skipUnless,
  startSystem,
  submitWish,
  tempDir,
  waitFor,
  wishStatus,
} from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';
import { NATS_UNAVAILABLE, NATS_URL } from '../contract/nats-fixture.js';

describe('the exodus CLI', () => {
  it('generates a roster whose passes verify with the data dir secret, and reuses that secret', async () => {
    const dir = tempDir();
    const roster = await generateRoster(dir, 3);
    expect(roster.map((r) => r.evacueeId)).toEqual(['EV-00001', 'EV-00002', 'EV-00003']);
    const secret = passSecret(dir, {}).reveal();
    for (const entry of roster) expect(verifyPass(secret, entry.pass)).toBe(entry.evacueeId);
    expect(verifyPass(secret, (await generateRoster(dir, 1))[0]?.pass ?? '')).toBe('EV-00001');
  });

  it('issues passes that expire after --valid-days (default 30)', async () => {
    const dir = tempDir();
    const secret = passSecret(dir, {}).reveal();
    const inDays = (days: number): Date => new Date(Date.now() + days * 86_400_000);
    const [standard] = await generateRoster(dir, 1);
    expect(verifyPass(secret, standard?.pass ?? '', inDays(29.9))).toBe('EV-00001');
    expect(() => verifyPass(secret, standard?.pass ?? '', inDays(30.1))).toThrow(/expired/);
    const [short] = await generateRoster(dir, 1, ['--valid-days', '2']);
    expect(verifyPass(secret, short?.pass ?? '', inDays(1.9))).toBe('EV-00001');
    expect(() => verifyPass(secret, short?.pass ?? '', inDays(2.1))).toThrow(/expired/);
  });

  it('EXODUS_PASS_SECRET overrides the data dir secret', async () => {
    const dir = tempDir();
    const out = join(dir, 'r.csv');
    const env = { EXODUS_PASS_SECRET: 'a-shared-secret-for-all-machines' };
    expect((await exodus(['roster', 'generate', '--data', dir, '--count', '1', '--out', out], env)).code).toBe(0);
    const pass = readFileSync(out, 'utf8').split('\n')[1]?.split(',')[2] ?? '';
    expect(verifyPass(env.EXODUS_PASS_SECRET, pass)).toBe('EV-00001');
    expect(existsSync(join(dir, 'pass-secret'))).toBe(false);
  });

  it('imports a real roster, naming the line of a bad row', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'evacuee_id,name\nEV-10001,"Okafor, Ada"\nEV-10002,Lin Park\n');
    const passes = join(dir, 'passes.csv');
    const ok = await exodus(['roster', 'import', good, '--data', dir, '--out', passes]);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('registered 2 evacuees') as unknown });

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'evacuee_id,name\nEV-10001,Ada\nEV-1,Bo\n');
    const failed = await exodus(['roster', 'import', bad, '--data', dir]);
    expect(failed.code).toBe(2);
    expect(failed.stderr.trim()).toBe(`exodus: ${bad}:3: evacuee_id "EV-1" is not like EV-00042`);
  });

  it('teaches itself: --version, --help on every verb and sub-verb with flags, defaults and an example, and the nearest name for a typo', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect((await exodus(['--version'])).stdout.trim()).toBe(version);
    const top = await exodus(['--help']);
    for (const verb of ['up', 'serve', 'roster', 'status', 'dlq', 'migrate', 'audit', 'slo', 'load', 'chaos'])
      expect(top.stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    const load = await exodus(['load', '--help']);
    expect(load.code).toBe(0);
    expect(load.stdout).toContain('--scenario <name|file>');
    expect(load.stdout).toContain('(default: 1)');
    expect(load.stdout).toMatch(/Examples?:\n {2}exodus load --target/);
    const kill = await exodus(['chaos', 'kill', '--help']);
    expect(kill.stdout).toContain('--every <d>');
    expect(kill.stdout).toContain('[env EXODUS_DATA]');
    const up = await exodus(['up', '--help']);
    for (const setting of ['--max-lease-lapses', '--log-format', '--console-port', '--traces-per-second'])
      expect(up.stdout).toContain(setting);
    expect((await exodus(['lod'])).stderr.trim()).toBe(
      "exodus: unknown command 'lod' (Did you mean load?) (exodus --help)",
    );
    const typo = await exodus(['chaos', 'kill', '--servce', 'worker']);
    expect({ code: typo.code, stderr: typo.stderr.trim() }).toEqual({
      code: 2,
      stderr: "exodus: unknown option '--servce' (Did you mean --service?) (exodus --help)",
    });
  });

  it('answers bad usage with one line and exit code 2, naming the flag or file', async () => {
    const cases: [string[], RegExp][] = [
      [['launch'], /unknown command 'launch'/],
      [['serve', 'kitchen'], /serve what\?/],
      [['up', '--replicas', 'worker=lots'], /--replicas takes service=count pairs/],
      [['up', '--console-retention', 'forever'], /console-retention/i],
      [['serve', 'console', '--console-port', '99999'], /console-port/i],
      [['status', '--lease-ms', 'soon'], /lease-ms/i],
      [['dlq', 'list'], /--queue is required/],
      [['dlq', 'list', '--queue', 'bogus'], /--queue must be one of intake, store, tally/],
      // A value that does not parse is told before a required flag that is missing.
      [['roster', 'generate', '--count', 'x'], /--count takes a whole number from 1 to 1000000, got "x"/],
      [['audit', '--ledger', 'l.ndjson', '--wait', 'soon'], /--wait takes a duration such as 30s or 2m, got "soon"/],
      [['load', '--target', 'http://127.0.0.1:1', '--roster', 'r.csv', '--scenario', 'nope'], /no scenario "nope"/],
    ];
    for (const [args, says] of cases) {
      const result = await exodus(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^exodus: /);
      expect(result.stderr, args.join(' ')).toMatch(says);
    }
  });

  it('a first start offers ten demo evacuees and prints a pass that works; log lines are readable when asked; --no-demo and a used data dir make none', async () => {
    const system = await startSystem({ console: false, extraArgs: ['--log-format', 'pretty'] });
    try {
      // The banner follows the frontend's first ready answer, which may come after startSystem's.
      await waitFor(() => system.output().includes('Ctrl-C drains'), 10_000, `no banner: ${system.output()}`);
      const pass = /boarding pass of EV-00001 \(.+\), paste it into the page:\n\s+(\S+)/.exec(system.output())?.[1];
      expect(pass).toBeDefined();
      expect(readFileSync(join(system.dataDir, 'demo-roster.csv'), 'utf8').trim().split('\n')).toHaveLength(11);
      expect((await submitWish(system.url, pass ?? '', { destination: 'europa', message: 'first try' })).status).toBe(
        202,
      );
      expect(system.output()).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: process started/m);
      expect(system.output()).not.toMatch(/^\{"level"/m);
    } finally {
      await system.stop();
    }
    const again = await startSystem({ console: false, dataDir: system.dataDir });
    await waitFor(() => again.output().includes('Ctrl-C drains'), 10_000, 'no banner');
    await again.stop();
    expect(again.output()).not.toContain('try it');
    const declined = await startSystem({ console: false, extraArgs: ['--no-demo'] });
    await waitFor(() => declined.output().includes('Ctrl-C drains'), 10_000, 'no banner');
    await declined.stop();
    expect(declined.output()).not.toContain('try it');
    expect(existsSync(join(declined.dataDir, 'demo-roster.csv'))).toBe(false);
  });

  it("serve console runs the ops console alone, behind the data dir's admin token, and stops cleanly on SIGTERM", async () => {
    const dir = tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', 'console', '--data', dir, '--console-port', String(port)], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    try {
      const services = (headers: Record<string, string> = {}) =>
        fetch(`http://127.0.0.1:${port}/api/v1/services`, { headers }).catch(() => undefined);
      await waitFor(async () => (await services())?.status === 401, 15_000, 'the console never answered');
      const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
      expect((await services({ authorization: `Bearer ${token}` }))?.status).toBe(200);
      expect(existsSync(join(dir, 'console.db'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('exodus up goes on without its console when the console cannot start (its port taken): the supervisor keeps trying it', async () => {
    const squatter = createServer(() => undefined);
    await new Promise<void>((done) => squatter.listen(0, '127.0.0.1', done));
    const port = (squatter.address() as AddressInfo).port;
    const system = await startSystem({ extraArgs: ['--console-port', String(port)] });
    try {
      const [evacuee] = await generateRoster(system.dataDir, 1);
      const { id } = (await (
        await submitWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message: 'no console needed' })
      ).json()) as { id: string };
      await waitFor(async () => (await wishStatus(system.url, id)).status === 'stored', 10_000, 'never stored');
      const restarts = async () => {
        const status = JSON.parse((await exodus(['status', '--data', system.dataDir, '--json'])).stdout) as {
          supervisor: { processes: { service: string; restarts: number }[] };
        };
        return status.supervisor.processes.find((p) => p.service === 'console')?.restarts ?? 0;
      };
      await waitFor(async () => (await restarts()) >= 1, 15_000, 'the console was never restarted');
    } finally {
      await system.stop();
      squatter.close();
    }
  }, 60_000);

  // The same operator session on every queue engine: the CLI goes through the ports only.
  const engines = [
    { name: 'SQLite (a data dir)', url: (dir: string) => `sqlite:${dir}`, unavailable: undefined },
    {
      name: 'NATS JetStream',
      url: () => `${NATS_URL}${NATS_URL.includes('?') ? '&' : '?'}prefix=cli-${randomBytes(4).toString('hex')}`,
      unavailable: NATS_UNAVAILABLE,
    },
    // fauxqs runs in this process; the CLI's processes reach it by its endpoint.
    {
      name: 'SQS + SNS (fauxqs)',
      url: async () => `sqs://us-east-1/cli-${randomBytes(4).toString('hex')}?endpoint=${await fauxqsEndpoint()}`,
      unavailable: undefined,
    },
  ];
  afterAll(stopFauxqs);
  for (const engine of engines) {
    it.skipIf(skipUnless(engine.unavailable === undefined, engine.unavailable ?? ''))(
      `status and dlq work on ${engine.name}: list, show, redrive, purge`,
      async () => {
        const dir = tempDir();
        const url = await engine.url(dir);
        const env = { EXODUS_QUEUE: url };
        const messaging = await openMessaging(url, { maxAttempts: 1 });
        try {
          const intake = messaging.queue('intake');
          await intake.send([envelope('poison-a'), envelope('poison-b')]);
          for (const delivery of await intake.receive(10, 1000))
            await delivery.deadLetter('PermanentError: unreadable');

          const status = JSON.parse((await exodus(['status', '--data', dir, '--json'], env)).stdout) as {
            queues: Record<string, { dead: number }>;
          };
          expect(status.queues['intake']?.dead).toBe(2);
          expect((await exodus(['dlq', 'list', '--data', dir, '--queue', 'intake'], env)).stdout).toMatch(
            /poison-a.*PermanentError: unreadable/,
          );
          const shown = JSON.parse(
            (await exodus(['dlq', 'show', '--data', dir, '--queue', 'intake', '--id', 'poison-b'], env)).stdout,
          ) as { message: { id: string } };
          expect(shown.message.id).toBe('poison-b');
          expect(
            (await exodus(['dlq', 'redrive', '--data', dir, '--queue', 'intake', '--id', 'poison-a'], env)).stdout,
          ).toContain('redrove 1');
          expect((await exodus(['dlq', 'purge', '--data', dir, '--queue', 'intake'], env)).stdout).toContain(
            'purged 1',
          );
          const after = JSON.parse((await exodus(['status', '--data', dir, '--json'], env)).stdout) as {
            queues: Record<string, { dead: number; ready: number }>;
          };
          expect(after.queues['intake']).toMatchObject({ dead: 0, ready: 1 });
          // The redriven message is deliverable again, as itself.
          expect((await intake.receive(10, 1000)).map((d) => d.message.id)).toEqual(['poison-a']);
        } finally {
          await messaging.close();
          await destroyNamespace(url);
        }
      },
    );
  }
});
