import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, HAVE_CHROMIUM, openPage, type Misbehaviour } from './browser.js';
import { skipUnless } from './skip-unless.js';
import { waitFor } from './systems.js';

/** Why a browser test is skipped on a machine without Chromium (a failure in CI). */
export const SKIP_WITHOUT_CHROMIUM = skipUnless(
  HAVE_CHROMIUM,
  `headless Chromium not found at ${CHROMIUM} (apt-get install chromium, or set EXODUS_CHROMIUM)`,
);

/**
 * The ops console in a browser, as every console test uses it: tabs signed in with the admin token
 * (as the link `exodus up` prints does), each recording what it must not do, all closed after each
 * test so the test can assert that nothing misbehaved.
 */
export class ConsoleTabs {
  private readonly open: { misbehaviour: Misbehaviour; close: () => Promise<void> }[] = [];

  constructor(
    private readonly browser: Browser,
    readonly consoleUrl: string,
    readonly token: string,
  ) {}

  /** A tab signed in, on `view` (a hash route such as `#/overview`). */
  async signedIn(view: string): Promise<Page> {
    const page = await this.signedOut();
    await page.goto(`${this.consoleUrl}/login?token=${encodeURIComponent(this.token)}`);
    await page.goto(`${this.consoleUrl}/${view}`);
    return page;
  }

  /** A tab that has not signed in (nowhere yet): what a stranger gets. */
  async signedOut(): Promise<Page> {
    const opened = await openPage(this.browser, this.consoleUrl, { viewport: { width: 1440, height: 1000 } });
    this.open.push({ misbehaviour: opened.misbehaviour, close: () => opened.context.close() });
    return opened.page;
  }

  /** Closes every tab opened since the last call; what each did that it must not (expect each to be `CLEAN`). */
  async closeAll(): Promise<Misbehaviour[]> {
    const closing = this.open.splice(0);
    for (const tab of closing) await tab.close();
    return closing.map((tab) => tab.misbehaviour);
  }

  /** `GET /api/v1/<path>` with the token, as a script would. */
  async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.consoleUrl}/api/v1/${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`GET /api/v1/${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}

/** The console token `exodus up` wrote into its data dir. */
export function consoleToken(dataDir: string): string {
  return readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
}

/** Resolves once the console answers its health check. */
export async function consoleAnswering(consoleUrl: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => (await fetch(`${consoleUrl}/healthz`).catch(() => undefined))?.ok === true,
    timeoutMs,
    'the console never answered',
  );
}

/**
 * Waits for a view that loads once (a trace search, a window of logs) to show something, asking it
 * again between looks, as an operator would press Refresh: waiting alone would never see what
 * arrived after it loaded.
 */
export async function shownAfterAsking(
  count: () => Promise<number>,
  askAgain: () => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      if ((await count()) > 0) return true;
      await askAgain().catch(() => undefined);
      return false;
    },
    timeoutMs,
    'the view never showed it, asked again every second',
    1000,
  );
}
