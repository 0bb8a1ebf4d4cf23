import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/runtime/index.js';
import { CLEAN, launchBrowser, screenshot } from '../../testkit/browser.js';
import { consoleAnswering, ConsoleTabs, consoleToken, SKIP_WITHOUT_CHROMIUM } from '../../testkit/console-tabs.js';
import {
  BIN,
  freePort,
  generateRoster,
  postWish,
  startSystem,
  type RosterEntry,
  type RunningSystem,
} from '../../testkit/index.js';

/** How long a wait may take on a loaded two-core machine: 5-s exports, the page's 5-s refresh, a starved CPU. */
const LOADED_MS = 90_000;
const TEST_MS = 4 * LOADED_MS;
const POLL = { timeout: LOADED_MS, interval: 500 };
/** The canary's version, given through its environment as an operator would. */
const CANARY_VERSION = '9.9.9-canary';
/** A second "host": a tally run by hand that says it runs there. */
const LAB_HOST = 'lab-host-2';

/**
 * A service's page as an operator uses it, on `exodus up` with one supervised worker, plus processes
 * started by hand against the same data dir (as one would on another machine): a worker of another
 * version (a canary) and the tally, saying it runs on another host.
 */
describe.skipIf(SKIP_WITHOUT_CHROMIUM)('the console: a page per service, versions side by side, hosts', () => {
  let browser: Browser;
  let system: RunningSystem;
  let consoleUrl: string;
  let token: string;
  let roster: RosterEntry[];
  const byHand: ChildProcess[] = [];
  let tabs: ConsoleTabs;

  /** `exodus serve <service>` on the system's data dir, sending its telemetry to the console with these resource attributes. */
  const serveByHand = (service: 'worker' | 'tally', attributes: string): ChildProcess => {
    const child = spawn(process.execPath, [BIN, 'serve', service, '--data', system.dataDir], {
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: consoleUrl,
        OTEL_EXPORTER_OTLP_HEADERS: `api-key=${token}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        OTEL_RESOURCE_ATTRIBUTES: attributes,
      },
      stdio: 'ignore',
    });
    byHand.push(child);
    return child;
  };
  const stopByHand = (child: ChildProcess): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });

  beforeAll(async () => {
    browser = await launchBrowser();
    const consolePort = await freePort();
    // One supervised worker, and no supervised tally: the tally is run by hand, "on another host".
    system = await startSystem({
      replicas: 'parser=1,worker=1,tally=0',
      extraArgs: ['--console-port', String(consolePort)],
    });
    consoleUrl = `http://127.0.0.1:${consolePort}`;
    token = consoleToken(system.dataDir);
    tabs = new ConsoleTabs(browser, consoleUrl, token);
    roster = await generateRoster(system.dataDir, 4);
    await consoleAnswering(consoleUrl, LOADED_MS);
    serveByHand('tally', `service.instance.id=tally-lab,host.name=${LAB_HOST}`);
  }, 2 * LOADED_MS);
  afterAll(async () => {
    await Promise.all(byHand.map(stopByHand));
    await system.stop();
    await browser.close();
  });
  afterEach(async () => {
    for (const misbehaviour of await tabs.closeAll()) expect(misbehaviour).toEqual(CLEAN);
  });

  const signedIn = (view: string): Promise<Page> => tabs.signedIn(view);
  /** A wish handed in (not waited for): work for the workers. */
  const handIn = async (i: number): Promise<void> => {
    const evacuee = roster[i % roster.length];
    const res = await postWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message: `Wish ${i}` });
    expect(res.status).toBe(202);
  };
  const supervisedPid = (service: string, replica: number): number | undefined =>
    (
      JSON.parse(readFileSync(join(system.dataDir, 'supervisor.json'), 'utf8')) as {
        processes: { service: string; replica: number; pid?: number }[];
      }
    ).processes.find((p) => p.service === service && p.replica === replica)?.pid;
  const cellOf = (page: Page, table: string, row: string, cell: string) =>
    page.locator(`table[aria-label="${table}"] tr[${row}] ${cell}`).first().textContent();

  it(
    "a service's name on the overview opens its page: its process with pid, start, version and host; its events, logs and traces",
    async () => {
      for (let i = 0; i < 4; i++) await handIn(i);
      const page = await signedIn('#/overview');
      const workerLink = page.locator(
        'table[aria-label="Services"] tr[data-service="exodus-worker"] th a.service-link',
      );
      await workerLink.waitFor({ timeout: LOADED_MS });
      await workerLink.click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/service?name=worker');
      await expect.poll(() => page.textContent('h2'), POLL).toBe('Service worker');

      const worker1 = 'data-instance="worker-1"';
      await expect
        .poll(async () => (await cellOf(page, 'Processes', worker1, 'td.pid'))?.trim(), POLL)
        .toBe(String(supervisedPid('worker', 1)));
      await expect.poll(() => cellOf(page, 'Processes', worker1, 'td.version'), POLL).toBe(packageVersion());
      await expect.poll(() => cellOf(page, 'Processes', worker1, 'td.host'), POLL).toBe(hostname());
      // Its start comes from the supervisor's event, which may arrive after its other figures.
      await expect
        .poll(() => cellOf(page, 'Processes', worker1, 'td.started'), POLL)
        .toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      await expect
        .poll(() => page.locator('table[aria-label="Events"] tr[data-kind="process.started"]').count(), POLL)
        .toBeGreaterThan(0);
      await expect
        .poll(() => page.locator('table[aria-label="Logs"] tbody tr:not(.empty)').count(), POLL)
        .toBeGreaterThan(0);
      await expect
        .poll(() => page.locator('table[aria-label="Slowest traces"] tr[data-trace-id]').count(), POLL)
        .toBeGreaterThan(0);
      expect(
        await page.locator('figure.chart').evaluateAll((figures) => figures.map((f) => f.getAttribute('data-chart'))),
      ).toEqual(['Rate', 'Errors', 'Latency p99', 'CPU', 'Memory (RSS)', 'Heap used', 'Event-loop delay p99']);
      // The charts in words (what a screen reader gets): the process's memory once a whole step has a report.
      await expect
        .poll(() => page.textContent('figure[data-chart="Memory (RSS)"] .visually-hidden'), POLL)
        .toMatch(/^Latest MB: worker-1 \d/);
      await screenshot(page, 'console-service');

      // One process's page, from its row.
      await page.locator(`table[aria-label="Processes"] tr[${worker1}] th a`).click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/service?name=worker&instance=worker-1');
      await expect.poll(() => page.textContent('h2'), POLL).toBe('Process worker-1 of worker');
      await expect
        .poll(() => page.locator('table[aria-label="Processes"] tbody tr[data-instance]').count(), POLL)
        .toBe(1);
    },
    TEST_MS,
  );

  it(
    'a canary of another version beside the worker: both versions side by side, a deploy event, a marker on every chart',
    async () => {
      serveByHand('worker', `service.instance.id=worker-canary,service.version=${CANARY_VERSION}`);
      const page = await signedIn('#/service?name=worker');
      const p99Of = (version: string) => cellOf(page, 'Versions', `data-version="${version}"`, 'td.p99');
      // Wishes keep coming until each version has processed some in the last minute (the queue is shared).
      let sent = 100;
      await expect
        .poll(
          async () => {
            await handIn(sent++);
            const shown = await Promise.all([p99Of(packageVersion()), p99Of(CANARY_VERSION)]).catch(() => []);
            return shown.length === 2 && shown.every((p99) => p99 !== null && p99 !== '–');
          },
          { timeout: 2 * LOADED_MS, interval: 1000 },
        )
        .toBe(true);
      expect(
        await page
          .locator('table[aria-label="Versions"] tr[data-version]')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-version'))),
      ).toEqual([packageVersion(), CANARY_VERSION]);
      expect(await page.textContent('.versions-note')).toContain('2 versions run side by side');
      await expect
        .poll(() => cellOf(page, 'Processes', 'data-instance="worker-canary"', 'td.version'), POLL)
        .toBe(CANARY_VERSION);
      // The console noted the deploy, and every chart of the page marks it.
      const deployed = () =>
        page.locator('table[aria-label="Events"] tr[data-kind="service.deployed"] td.detail').allTextContents();
      await expect.poll(async () => (await deployed()).length, POLL).toBe(1);
      expect((await deployed())[0]).toContain(`from=${packageVersion()} to=${CANARY_VERSION}`);
      await expect.poll(() => page.locator('figure.chart[data-markers="1"]').count(), POLL).toBe(7);
      await page.locator('#versions-title').scrollIntoViewIfNeeded();
      await screenshot(page, 'console-two-versions');

      // The overview's charts mark it too.
      const overview = await signedIn('#/overview');
      // Charts first (no chart at all would have no unmarked chart either), then every one marked.
      await expect.poll(() => overview.locator('figure.chart').count(), POLL).toBeGreaterThan(0);
      await expect.poll(() => overview.locator('figure.chart:not([data-markers="1"])').count(), POLL).toBe(0);
    },
    TEST_MS,
  );

  it(
    'the overview shows running and wanted processes per host, and a host whose processes all stopped stands out',
    async () => {
      const page = await signedIn('#/overview');
      const running = (host: string) => cellOf(page, 'Hosts', `data-host="${host}"`, 'td.running');
      await expect.poll(() => running(LAB_HOST), POLL).toBe('1 / 1');
      // This machine: the console, frontend, parser and worker under the supervisor (and the canary, while it runs).
      await expect.poll(async () => /^(\d+) \/ \1$/.test((await running(hostname())) ?? ''), POLL).toBe(true);
      expect(await page.locator('ul.host-alerts li').count()).toBe(0);

      const tally = byHand[0];
      if (tally !== undefined) await stopByHand(tally);
      await expect
        .poll(() => page.locator('ul.host-alerts li').allTextContents(), POLL)
        .toEqual([`running processes = 0 on host ${LAB_HOST}`]);
      expect(await running(LAB_HOST)).toBe('0 / 1 · nothing running');
      await page.locator('#hosts-title').scrollIntoViewIfNeeded();
      await screenshot(page, 'console-hosts');
    },
    TEST_MS,
  );
});
