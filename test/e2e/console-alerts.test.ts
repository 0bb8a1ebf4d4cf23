import { GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsResponse, AlertView } from '../../src/services/console/api-shapes.js';
import { fauxqsEndpoint, stopFauxqs } from '../../testkit/aws/index.js';
import { CLEAN, launchBrowser, screenshot } from '../../testkit/browser.js';
import { ConsoleTabs, consoleToken, SKIP_WITHOUT_CHROMIUM } from '../../testkit/console-tabs.js';
import {
  generateRoster,
  postWish,
  startSystem,
  waitFor,
  type RosterEntry,
  type RunningSystem,
} from '../../testkit/index.js';

/** A wait's limit on a loaded two-core machine; every wait ends as soon as its condition holds. */
const LOADED_MS = 90_000;
const POLL = { timeout: LOADED_MS, interval: 500 };
/** The console's alert windows at 60× (EXODUS_CONSOLE_ALERT_SPEEDUP): 1 h is a minute, 5 m five seconds, the page's 2 min `for` two seconds. */
const SPEEDUP = 60;
const AVAILABILITY = 'wish-acceptance-availability';
const PAGE_ALERT = 'SLOErrorBudgetBurningFast';
/** Longer than the 1 KiB the intake queue is told to take: SQS itself refuses it, and the door answers 500. */
const TOO_LONG = 'Remember the garden. '.repeat(90);

/**
 * The console's alerts and failure modes as an operator meets them, on `exodus up` with real
 * failures: the system runs on the SQS engine (fauxqs, in this process) with its intake queue told
 * to take at most 1 KiB (`MaximumMessageSize`, as a deployment may lower it), so a long wish is
 * refused by the queue itself and answered 500 (`wish-refused-by-queue`): the one failure the
 * availability SLO counts that a running system gives for real (a 503 when the queue is down is a
 * refusal, counted good). A burst of them fires the availability page on the overview, with an
 * `alert.firing` event; the Failure modes view shows that SLO's signal live and its link leads to
 * the SLO; once the burst is over, the page resolves, with an `alert.resolved` event.
 */
describe.skipIf(SKIP_WITHOUT_CHROMIUM)(
  'the console: alerts and failure modes, in a real browser on a running system',
  () => {
    let browser: Browser;
    let system: RunningSystem;
    let consoleUrl: string;
    let token: string;
    let roster: RosterEntry[];
    let tabs: ConsoleTabs;

    beforeAll(async () => {
      browser = await launchBrowser();
      const endpoint = await fauxqsEndpoint();
      const name = `alerts-${randomBytes(4).toString('hex')}`;
      system = await startSystem({
        env: {
          EXODUS_QUEUE: `sqs://us-east-1/${name}?endpoint=${endpoint}`,
          EXODUS_CONSOLE_ALERT_SPEEDUP: String(SPEEDUP),
          // Metrics every second, so a five-second window (5 m at 60×) holds several exports.
          OTEL_METRIC_EXPORT_INTERVAL: '1000',
        },
      });
      consoleUrl = system.consoleUrl ?? '';
      token = consoleToken(system.dataDir);
      tabs = new ConsoleTabs(browser, consoleUrl, token);
      roster = await generateRoster(system.dataDir, 4);
      const sqs = new SQSClient({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${name}-intake` }));
        await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { MaximumMessageSize: '1024' } }));
      } finally {
        sqs.destroy();
      }
    }, 2 * LOADED_MS);
    afterAll(async () => {
      await system.stop();
      await browser.close();
      await stopFauxqs();
    });
    afterEach(async () => {
      for (const misbehaviour of await tabs.closeAll()) expect(misbehaviour).toEqual(CLEAN);
    });

    const signedIn = (view: string): Promise<Page> => tabs.signedIn(view);
    const pageAlert = async (): Promise<AlertView | undefined> => {
      const response = await fetch(`${consoleUrl}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } });
      const { alerts } = (await response.json()) as AlertsResponse;
      return alerts.find((alert) => alert.slo === AVAILABILITY && alert.alert === PAGE_ALERT);
    };

    it(
      'a burst of failures fires the availability alert on the overview, with its event; Failure modes shows it live and links to it; it resolves after',
      async () => {
        const [evacuee, other] = roster;
        // A working system first: a wish goes through.
        expect(
          (await postWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message: 'Water the roses' })).status,
        ).toBe(202);
        const overview = await signedIn('#/overview');
        await expect.poll(() => overview.locator('table[aria-label="Alerts"] tr.empty').count(), POLL).toBe(1);
        expect(await overview.locator('.alerts-note').textContent()).toContain('Windows divided by 60');

        // The burst: wishes the queue refuses, until the console has fired the page (a few seconds of them).
        const statuses = new Map<number, number>();
        await waitFor(
          async () => {
            const answers = await Promise.all(
              [evacuee, other].map((entry) =>
                postWish(system.url, entry?.pass ?? '', { destination: 'europa', message: TOO_LONG }),
              ),
            );
            for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            await new Promise((done) => setTimeout(done, 200));
            return (await pageAlert())?.state === 'firing';
          },
          LOADED_MS,
          'the availability page never fired',
        );
        expect([...statuses.keys()]).toEqual([500]);

        // The overview says it: which objective, page, firing since when, how fast, what share of the budget.
        const row = overview.locator(`tr.alert[data-slo="${AVAILABILITY}"][data-alert="${PAGE_ALERT}"]`);
        await expect.poll(() => row.getAttribute('data-state'), POLL).toBe('firing');
        const text = (await row.textContent()) ?? '';
        expect(text).toContain('Handing in a wish works');
        expect(text).toContain('page');
        expect(text).toMatch(/\d+\.\d× over 1 h \(1\.0 min\)/);
        expect(text).toMatch(/\d+\.\d % of 30 days' budget/);
        expect(await row.locator('time').getAttribute('datetime')).toBe((await pageAlert())?.since);
        await screenshot(overview, 'console-alerts-overview-firing');

        // Its event, under Events, from the alert's own link.
        await row.getByRole('link', { name: /Alert events of/ }).click();
        await expect.poll(() => overview.url(), POLL).toContain('#/events?kind=alert.firing');
        const fired = overview.locator('tr[data-kind="alert.firing"]');
        await expect.poll(() => fired.count(), POLL).toBeGreaterThan(0);
        expect(await fired.first().textContent()).toContain(`slo=${AVAILABILITY}`);
        expect(await fired.first().getAttribute('class')).toContain('notable');

        // Failure modes: ranked by RRN; the availability SLO's signal live while its alert fires.
        const risks = await signedIn('#/risks');
        const table = risks.locator('table[aria-label="Failure modes"]');
        await expect.poll(() => table.locator('tbody tr[data-rrn]').count(), POLL).toBeGreaterThan(10);
        const rrns = await table
          .locator('tbody tr[data-rrn]')
          .evaluateAll((rows) => rows.map((tr) => Number(tr.getAttribute('data-rrn'))));
        expect(rrns).toEqual([...rrns].sort((a, b) => b - a));
        expect(rrns.every((rrn) => rrn >= 1 && rrn <= 1000)).toBe(true);
        const signal = table.locator(`tr[data-failure-mode="acceptance-fails"] li[data-signal="${AVAILABILITY}"]`);
        await expect.poll(() => signal.getAttribute('data-live'), POLL).toBe('true');
        expect(await signal.textContent()).toContain('alert firing since');
        expect(await risks.title()).toBe('Failure modes · Exodus console');
        await screenshot(risks, 'console-failure-modes');
        // The signal's link leads to the SLO on the overview, marked.
        await signal.getByRole('link').click();
        await expect.poll(() => risks.url(), POLL).toContain(`#/overview?slo=${AVAILABILITY}`);
        await expect.poll(() => risks.locator(`tr.slo.marked[data-slo="${AVAILABILITY}"]`).count(), POLL).toBe(1);
        // An event signal's link leads to Events filtered by its kind.
        await risks.goto(`${consoleUrl}/#/risks`);
        await table.locator('tr[data-failure-mode="poison-message"] li[data-signal="message.dead_lettered"] a').click();
        await expect.poll(() => risks.url(), POLL).toContain('#/events?kind=message.dead_lettered');
        expect(await risks.locator('#event-kind').inputValue()).toBe('message.dead_lettered');

        // The burst is over: the page resolves once its short windows (5 s, 30 s at 60×) hold no failure.
        await waitFor(async () => (await pageAlert())?.state === 'inactive', 2 * LOADED_MS, 'the page never resolved');
        await overview.goto(`${consoleUrl}/#/overview`);
        await expect.poll(() => row.count(), POLL).toBe(0);
        await overview.goto(`${consoleUrl}/#/events?kind=alert.resolved`);
        const resolved = overview.locator('tr[data-kind="alert.resolved"]');
        await expect.poll(() => resolved.count(), POLL).toBeGreaterThan(0);
        expect(await resolved.first().textContent()).toContain(`alert=${PAGE_ALERT}`);
        await screenshot(overview, 'console-alerts-resolved-events');
      },
      6 * LOADED_MS,
    );
  },
);
