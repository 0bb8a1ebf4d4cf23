import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openMessaging } from '../../src/engines/index.js';
import { QUEUES, type Envelope } from '../../src/ports/index.js';
import { CHROMIUM, CLEAN, HAVE_CHROMIUM, launchBrowser, openPage, screenshot, type Misbehaviour } from '../support/browser.js';
import { skipUnless } from '../support/services.js';
import { freePort, generateRoster, postWish, startSystem, waitFor, wishStatus, type RosterEntry, type RunningSystem } from '../support/system.js';

const skip = skipUnless(HAVE_CHROMIUM, `headless Chromium not found at ${CHROMIUM} (apt-get install chromium, or set EXODUS_CHROMIUM)`);

/**
 * The ops console as an operator uses it: `exodus up` (every service a process, the console among
 * them, every process sending it OTLP), a real browser signed in with the admin token.
 */
describe.skipIf(skip)('the ops console in a real browser, on a running system', () => {
  let browser: Browser;
  let system: RunningSystem;
  let consoleUrl: string;
  let token: string;
  let roster: RosterEntry[];
  const tabs: { misbehaviour: Misbehaviour; close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    const consolePort = await freePort();
    system = await startSystem({ extraArgs: ['--console-port', String(consolePort)] });
    consoleUrl = `http://127.0.0.1:${consolePort}`;
    token = readFileSync(join(system.dataDir, 'admin-token'), 'utf8').trim();
    roster = await generateRoster(system.dataDir, 4);
    await waitFor(async () => (await fetch(`${consoleUrl}/healthz`).catch(() => undefined))?.ok === true, 20_000, 'the console never answered');
  });
  afterAll(async () => {
    await system.stop();
    await browser.close();
  });
  afterEach(async () => {
    // Whatever was shown (attackers' text included), the console raised no dialog, logged no error
    // (a CSP violation would), threw nothing and talked to no other origin.
    for (const { misbehaviour, close } of tabs.splice(0)) {
      await close();
      expect(misbehaviour).toEqual(CLEAN);
    }
  });

  /** A tab signed in through the link `exodus up` prints, on `view` (a hash route). */
  const signedIn = async (view: string): Promise<Page> => {
    const opened = await openPage(browser, consoleUrl, { viewport: { width: 1440, height: 1000 } });
    tabs.push({ misbehaviour: opened.misbehaviour, close: () => opened.context.close() });
    await opened.page.goto(`${consoleUrl}/login?token=${encodeURIComponent(token)}`);
    await opened.page.goto(`${consoleUrl}/${view}`);
    return opened.page;
  };
  const submit = async (evacuee: RosterEntry | undefined, message: string): Promise<string> => {
    const res = await postWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => (await wishStatus(system.url, id)).status !== 'pending', 15_000, `wish ${id} never left pending`);
    return id;
  };
  const supervised = (): { service: string; pid?: number; restarts: number }[] =>
    (JSON.parse(readFileSync(join(system.dataDir, 'supervisor.json'), 'utf8')) as { processes: { service: string; pid?: number; restarts: number }[] }).processes;

  it('without the token shows only the sign-in form; signed in, the overview shows every service running', async () => {
    const opened = await openPage(browser, consoleUrl);
    tabs.push({ misbehaviour: opened.misbehaviour, close: () => opened.context.close() });
    const refused = await opened.page.goto(`${consoleUrl}/`);
    expect(refused?.status()).toBe(401);
    expect(await opened.page.locator('input[name="token"]').count()).toBe(1);

    const page = await signedIn('#/overview');
    for (const [service, wanted] of [['exodus-frontend', 1], ['exodus-parser', 1], ['exodus-worker', 2], ['exodus-tally', 1]] as const) {
      await expect.poll(() => page.textContent(`table[aria-label="Services"] tr[data-service="${service}"] td.running`), { timeout: 20_000 }).toContain(`${wanted} / ${wanted}`);
    }
    // The four objectives of slo/, each with its target; no event has spent any budget yet.
    await expect.poll(() => page.locator('table[aria-label="Objectives"] tr.slo').count(), { timeout: 10_000 }).toBe(4);
    expect(await page.textContent('table[aria-label="Objectives"] tr[data-slo="wish-acceptance-availability"]')).toContain('99.90 %');
    await screenshot(page, 'console-objectives');
  });

  it("finds a wish by its id and shows its journey in one waterfall: frontend, parser, worker and tally", async () => {
    const id = await submit(roster[0], 'Traced from the door to the wall.');
    const page = await signedIn(`#/traces?wish=${id}`);
    for (const service of ['exodus-frontend', 'exodus-parser', 'exodus-worker', 'exodus-tally']) {
      await expect
        .poll(
          async () => {
            await page.locator('#traces-refresh').click().catch(() => undefined); // the spans of the last hops may still be on their way
            return page.locator(`table[aria-label="Waterfall"] tr.span-row[data-service="${service}"]`).count();
          },
          { timeout: 15_000, interval: 1000 },
        )
        .toBeGreaterThan(0);
    }
    await page.locator('table[aria-label="Waterfall"] tr.span-row[data-service="exodus-frontend"] button.span-button').first().click();
    await expect.poll(() => page.textContent('#span-details')).toContain(id);
    await screenshot(page, 'console-trace');
  });

  it('kill -9 of a worker shows as an event and in the restart count within 5 s', async () => {
    const page = await signedIn('#/overview');
    const worker = supervised().find((p) => p.service === 'worker' && p.pid !== undefined);
    expect(worker?.pid).toBeDefined();
    const killedAt = Date.now();
    process.kill(worker?.pid ?? 0, 'SIGKILL');
    await expect.poll(() => page.textContent('table[aria-label="Services"] tr[data-service="exodus-worker"] td:nth-child(3)'), { timeout: 5000, interval: 200 }).not.toBe('0');
    const seenMs = Date.now() - killedAt;
    await page.goto(`${consoleUrl}/#/events`);
    await expect.poll(() => page.locator('table[aria-label="Events"] tr[data-kind="process.exited"]').count(), { timeout: Math.max(1000, 5000 - seenMs) }).toBeGreaterThan(0);
    expect(await page.textContent('table[aria-label="Events"] tr[data-kind="process.exited"]')).toContain('SIGKILL');
    await screenshot(page, 'console-events-restart');
  });

  it('a poison message shows in the dead letters; "±3 s" around its error shows the worker’s line with the same trace id', async () => {
    const messaging = await openMessaging(`sqlite:${system.dataDir}`, { maxAttempts: 5 });
    const poison: Envelope = { specversion: '1.0', id: 'poison-for-the-console.parsed', source: '/test', type: 'exodus.wish.parsed', time: new Date().toISOString(), datacontenttype: 'application/json', traceparent: '', data: { not: 'a wish' } };
    await messaging.queue(QUEUES.store).send([poison]);
    await messaging.close();

    const page = await signedIn('#/overview');
    await expect.poll(() => page.textContent('table[aria-label="Queues"] tr[data-queue="store"] td.dead'), { timeout: 15_000 }).toBe('1');
    await page.goto(`${consoleUrl}/#/traces?wish=poison-for-the-console`);
    const failed = page.locator('table[aria-label="Waterfall"] tr.span-row.error[data-service="exodus-worker"]').first();
    await failed.waitFor({ timeout: 15_000 });
    const traceId = await failed.getAttribute('data-trace-id');
    await failed.locator('button.span-button').click();
    await page.locator('#span-details a.logs-around').click();
    const line = page.locator(`table[aria-label="Logs"] tr[data-service="exodus-worker"]:has(a.trace-link[href*="${traceId ?? 'none'}"])`);
    await expect.poll(() => line.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await line.first().textContent()).toMatch(/dead-letter/);
    await screenshot(page, 'console-logs-around-error');
  });

  it('markup in a wish shows as an injection-attempt event, rendered as text', async () => {
    const evacuee = roster[1];
    await submit(evacuee, '<img src=x onerror="alert(1)"><script>alert(2)</script>');
    const page = await signedIn('#/events');
    const row = page.locator('table[aria-label="Events"] tr[data-kind="wish.injection_attempt"]').first();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain(evacuee?.evacueeId ?? 'none');
    expect(await page.locator('table[aria-label="Events"] img, table[aria-label="Events"] script').count()).toBe(0);
    await screenshot(page, 'console-events-injection');

    // After all that traffic, the overview as an operator would find it.
    await page.goto(`${consoleUrl}/#/overview`);
    await page.locator('table[aria-label="Queues"] tr[data-queue="intake"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.textContent('#tally-mars'), { timeout: 15_000 }).not.toBe('0');
    await screenshot(page, 'console-overview');
  });
});
