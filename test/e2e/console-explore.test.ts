import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLEAN, launchBrowser, screenshot } from '../../testkit/browser.js';
import {
  consoleAnswering,
  ConsoleTabs,
  consoleToken,
  shownAfterAsking as shown,
  SKIP_WITHOUT_CHROMIUM,
} from '../../testkit/console-tabs.js';
import {
  freePort,
  generateRoster,
  postWish,
  startSystem,
  waitFor,
  wishStatus,
  type RunningSystem,
} from '../../testkit/index.js';

/** How long a wait may take on a loaded two-core machine: 5-s metric exports, the page's refreshes, a starved CPU. */
const LOADED_MS = 90_000;
const TEST_MS = 4 * LOADED_MS;
const POLL = { timeout: LOADED_MS, interval: 500 };

/**
 * The metrics explorer and the trace search as an operator uses them, on `exodus up` with its console:
 * pick an instrument and an attribute; search traces by an attribute; open a trace from the latency
 * scatter; one-span scrape traces hidden until asked for.
 */
describe.skipIf(SKIP_WITHOUT_CHROMIUM)(
  'exploring metrics and searching traces in the console, on a running system',
  () => {
    let browser: Browser;
    let system: RunningSystem;
    let consoleUrl: string;
    let token: string;
    let tabs: ConsoleTabs;

    beforeAll(async () => {
      browser = await launchBrowser();
      const consolePort = await freePort();
      // No canary: its runs are traces with a 202 POST in them too (rooted at whichever of its
      // requests the console sees first), and the search below counts the test's own wishes.
      system = await startSystem({ extraArgs: ['--console-port', String(consolePort), '--no-canary'] });
      consoleUrl = `http://127.0.0.1:${consolePort}`;
      token = consoleToken(system.dataDir);
      tabs = new ConsoleTabs(browser, consoleUrl, token);
      const roster = await generateRoster(system.dataDir, 3);
      await consoleAnswering(consoleUrl, LOADED_MS);
      // Something to explore: wishes through every hop, and a few scrapes of the frontend's /metrics.
      for (const [i, evacuee] of roster.entries()) {
        const res = await postWish(system.url, evacuee.pass, {
          destination: i % 2 === 0 ? 'mars' : 'europa',
          message: `Wish ${i}.`,
        });
        expect(res.status).toBe(202);
        const { id } = (await res.json()) as { id: string };
        await waitFor(
          async () => (await wishStatus(system.url, id)).status !== 'pending',
          LOADED_MS,
          `wish ${id} stuck`,
        );
      }
      for (let i = 0; i < 3; i++) await fetch(`${system.url}/metrics`);
    }, 3 * LOADED_MS);
    afterAll(async () => {
      await system.stop();
      await browser.close();
    });
    afterEach(async () => {
      // Whatever was shown, the console raised no dialog, logged no error (a CSP violation would),
      // threw nothing and talked to no other origin.
      for (const misbehaviour of await tabs.closeAll()) expect(misbehaviour).toEqual(CLEAN);
    });

    const signedIn = (view: string): Promise<Page> => tabs.signedIn(view);
    /** Counts something a search shows, searching again between looks (what arrived after it loaded). */
    const shownAfterAsking = (count: () => Promise<number>, askAgain: () => Promise<void>): Promise<void> =>
      shown(count, askAgain, LOADED_MS);

    it(
      'picks an instrument and an attribute: a chart and a table of rates by that attribute, the choice kept in the link',
      async () => {
        const page = await signedIn('#/metrics');
        const name = page.locator('#metric-name');
        await expect.poll(() => name.locator('option[value="exodus.wishes"]').count(), POLL).toBe(1);
        await name.selectOption('exodus.wishes');
        await page.locator('#metric-by').selectOption('exodus.wish.outcome');
        await page.locator('#metric-window').selectOption('15m');
        await page.locator('form[aria-label="Metric"] button[type="submit"]').click();
        await expect.poll(() => page.evaluate(() => location.hash), POLL).toContain('by=exodus.wish.outcome');
        const groups = page.locator('table[aria-label="Metric table"] tbody th');
        await expect.poll(() => groups.allTextContents(), POLL).toEqual(expect.arrayContaining(['accepted', 'stored']));
        expect(await page.locator('table[aria-label="Metric table"] thead th').allTextContents()).toEqual([
          'exodus.wish.outcome',
          'total ({wish})',
          'rate ({wish}/s)',
          'last step rate ({wish}/s)',
        ]);
        await page.locator('figure.chart canvas').first().waitFor({ timeout: LOADED_MS });
        expect(await page.locator('#metric-summary').textContent()).toContain('rate per second by exodus.wish.outcome');
        await screenshot(page, 'console-metrics-explorer');

        // A histogram by status code: its percentiles, and the link brings the same view back.
        await page.goto(
          `${consoleUrl}/#/metrics?name=http.server.request.duration&by=http.response.status_code&window=15m&stat=p99`,
        );
        await expect
          .poll(() => page.locator('table[aria-label="Metric table"] tbody th').allTextContents(), POLL)
          .toContain('202');
        expect(await page.locator('table[aria-label="Metric table"] thead th').allTextContents()).toEqual(
          expect.arrayContaining(['p50', 'p95', 'p99']),
        );
        expect(await page.locator('#metric-stat').inputValue()).toBe('p99');
        expect(await page.locator('#metric-by').inputValue()).toBe('http.response.status_code');
      },
      TEST_MS,
    );

    it(
      'searches traces by an attribute and an HTTP status; the scatter shows them and a dot opens its trace',
      async () => {
        const page = await signedIn('#/traces');
        await page.locator('#trace-where').fill('http.route=/api/wishes');
        await page.locator('#trace-http-status').fill('202');
        const search = () => page.locator('form[aria-label="Trace search"] button[type="submit"]').click();
        await search();
        const rows = page.locator('table[aria-label="Traces"] tr[data-trace-id]');
        await shownAfterAsking(() => rows.count(), search);
        // A row's heading: its root's service (a link to the service's page) and its name (the trace's link).
        expect(new Set(await rows.locator('th').allTextContents())).toEqual(
          new Set(['exodus-frontend POST /api/wishes']),
        );
        const dots = page.locator('#trace-scatter a.scatter-dot');
        await expect.poll(() => dots.count(), POLL).toBe(await rows.count());
        await screenshot(page, 'console-traces-scatter');

        const chosen = (await dots.first().getAttribute('data-trace-id')) ?? '';
        await dots.first().click();
        await expect.poll(() => page.locator('#trace-detail-title').textContent(), POLL).toBe(`Trace ${chosen}`);
        expect(
          await page.locator(`table[aria-label="Traces"] tr[data-trace-id="${chosen}"]`).getAttribute('class'),
        ).toContain('selected');
        expect(await page.locator('table[aria-label="Waterfall"] tr.span-row').count()).toBeGreaterThan(1);
        // The search is still in the link, with the trace opened.
        const hash = await page.evaluate(() => location.hash);
        expect(hash).toContain(`open=${chosen}`);
        expect(decodeURIComponent(hash)).toContain('where=http.route=/api/wishes');
      },
      TEST_MS,
    );

    it(
      'hides one-span scrape traces by default and shows them when asked',
      async () => {
        const page = await signedIn('#/traces?where=http.route%3D%2Fmetrics&all=1');
        const rows = page.locator('table[aria-label="Traces"] tr[data-trace-id]');
        await shownAfterAsking(
          () => rows.count(),
          () => page.locator('#traces-refresh').click(),
        );
        expect(await page.locator('#trace-all').isChecked()).toBe(true);
        expect(new Set(await rows.locator('th').allTextContents())).toEqual(new Set(['exodus-frontend GET /metrics']));

        await page.locator('#trace-all').uncheck();
        await page.locator('form[aria-label="Trace search"] button[type="submit"]').click();
        await expect.poll(() => page.evaluate(() => location.hash), POLL).not.toContain('all=1');
        await expect.poll(() => page.locator('table[aria-label="Traces"] tr.empty').count(), POLL).toBe(1);
        expect(await rows.count()).toBe(0);
        expect(await page.locator('#traces-summary').textContent()).toContain(
          'One-span receive and scrape traces are left out',
        );
      },
      TEST_MS,
    );
  },
);
