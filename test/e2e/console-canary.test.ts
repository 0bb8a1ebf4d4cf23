import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventsResponse } from '../../src/services/console/api-shapes.js';
import { CLEAN, launchBrowser, SCREENSHOTS } from '../../testkit/browser.js';
import { consoleAnswering, ConsoleTabs, consoleToken, SKIP_WITHOUT_CHROMIUM } from '../../testkit/console-tabs.js';
import { freePort, servicePids, startSystem, type RunningSystem } from '../../testkit/index.js';

/**
 * How long a wait may take on a loaded two-core machine: a canary run's 10-s bound, its log record's
 * export (1 s), the page's 2-s refresh, all slowed by a starved CPU. Each wait ends as soon as its
 * condition holds.
 */
const LOADED_MS = 90_000;
const POLL = { timeout: LOADED_MS, interval: 500 };

/**
 * The canary panel as an operator sees it on the overview: green while the canary's wishes go
 * through; red, saying why, while the tally is frozen (SIGSTOP: alive to the supervisor, doing
 * nothing); green again once it runs on.
 */
describe.skipIf(SKIP_WITHOUT_CHROMIUM)('the canary panel in a real browser, on a running system', () => {
  let browser: Browser;
  let system: RunningSystem;
  let consoleUrl: string;
  let token: string;
  let frozen: number | undefined;
  let tabs: ConsoleTabs;

  beforeAll(async () => {
    browser = await launchBrowser();
    const consolePort = await freePort();
    system = await startSystem({
      extraArgs: ['--console-port', String(consolePort), '--canary-interval', '2s'],
      replicas: 'parser=1,worker=1,tally=1',
    });
    consoleUrl = `http://127.0.0.1:${consolePort}`;
    token = consoleToken(system.dataDir);
    tabs = new ConsoleTabs(browser, consoleUrl, token);
    await consoleAnswering(consoleUrl, LOADED_MS);
  }, 2 * LOADED_MS);
  afterAll(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await system.stop();
    await browser.close();
  });
  afterEach(async () => {
    // The console raised no dialog, logged no error (a CSP violation would), threw nothing and talked to no other origin.
    for (const misbehaviour of await tabs.closeAll()) expect(misbehaviour).toEqual(CLEAN);
  });

  const signedIn = (view: string): Promise<Page> => tabs.signedIn(view);
  const panelShot = async (page: Page, name: string): Promise<void> => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page
      .locator('section[aria-labelledby="canary-title"]')
      .screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  it(
    'is green with the three timings, red naming the read model while the tally is frozen, and green again after',
    async () => {
      const page = await signedIn('#/overview');
      const state = page.locator('.canary-state');
      await expect.poll(() => state.getAttribute('data-state'), POLL).toBe('ok');
      expect(await state.textContent()).toMatch(
        /^OK: a wish handed in at [\d:.]+ was accepted in .+, stored in .+ and on the read model in .+\.$/,
      );
      const rows = page.locator('table[aria-label="Canary runs"] tbody tr.canary-ok');
      await expect.poll(() => rows.count(), POLL).toBeGreaterThanOrEqual(2);
      // Each run links to its wish's journey in Traces.
      expect(await rows.first().locator('th a').getAttribute('href')).toMatch(/^#\/traces\?wish=[0-9a-f-]{36}$/);
      await panelShot(page, 'console-canary-green');

      // Frozen: the tally's process holds still. Its wish is stored, never on the read model.
      frozen = servicePids(system.dataDir).find((p) => p.name === 'tally-1')?.pid;
      if (frozen === undefined) throw new Error('no tally process');
      process.kill(frozen, 'SIGSTOP');
      await expect.poll(() => state.getAttribute('data-state'), POLL).toBe('failed');
      expect(await state.textContent()).toMatch(/^FAILING: the run at [\d:.]+ not on the read model within 10 s/);
      expect(await page.locator('.canary-strip li.failed').count()).toBeGreaterThan(0);
      expect(await page.locator('table[aria-label="Canary runs"] tbody tr.canary-failed td').nth(0).textContent()).toBe(
        'failed',
      );
      await panelShot(page, 'console-canary-red');
      // Each failure is an event.
      const failures = (await (
        await fetch(`${consoleUrl}/api/v1/events?kind=canary.failed`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as EventsResponse;
      expect(failures.events.length).toBeGreaterThan(0);
      expect(failures.events[0]?.service).toBe('exodus-supervisor');

      process.kill(frozen, 'SIGCONT');
      frozen = undefined;
      await expect.poll(() => state.getAttribute('data-state'), POLL).toBe('ok');
      await panelShot(page, 'console-canary-green-again');
    },
    5 * LOADED_MS,
  );
});
