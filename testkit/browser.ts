import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../src/runtime/index.js';

/**
 * Headless Chromium for end-to-end tests: Debian's `chromium` (installed by .ci/run), driven by
 * playwright-core, never a downloaded browser. `EXODUS_CHROMIUM` points at another binary.
 */
export const CHROMIUM = process.env['EXODUS_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/**
 * Where screenshots of the page's main states go (kept by CI as test output): the checkout's
 * `test-output/screenshots/`, found from the package root (a path relative to this file went one
 * level above the checkout when the test kit moved out of `test/`).
 */
export const SCREENSHOTS = join(packageRoot(), 'test-output', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}

/** What the page did that it must not: dialogs, console errors, requests to other origins, CSP violations. */
export interface Misbehaviour {
  readonly dialogs: string[];
  readonly consoleErrors: string[];
  readonly foreignRequests: string[];
  readonly pageErrors: string[];
}

/** A fresh context (own storage) and page on `origin`, recording anything it does that it must not. */
export async function openPage(
  browser: Browser,
  origin: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; misbehaviour: Misbehaviour }> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const misbehaviour: Misbehaviour = { dialogs: [], consoleErrors: [], foreignRequests: [], pageErrors: [] };
  page.on('dialog', (dialog) => {
    misbehaviour.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    // Chrome logs every 4xx/5xx fetch ("Failed to load resource"); those answers are what some tests
    // provoke. Anything else at error or warning level (a CSP violation, a script error) counts.
    if (
      (message.type() === 'error' || message.type() === 'warning') &&
      !message.text().startsWith('Failed to load resource: the server responded with a status of')
    ) {
      misbehaviour.consoleErrors.push(message.text());
    }
  });
  page.on('pageerror', (error) => misbehaviour.pageErrors.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) misbehaviour.foreignRequests.push(url);
  });
  return { context, page, misbehaviour };
}

/** What a well-behaved page did that it must not: nothing. */
export const CLEAN: Misbehaviour = { dialogs: [], consoleErrors: [], foreignRequests: [], pageErrors: [] };

/** Runs `use` on a fresh tab of `origin`, closes it, and returns what the page did that it must not. */
export async function inTab(
  browser: Browser,
  origin: string,
  use: (page: Page) => Promise<void>,
): Promise<Misbehaviour> {
  const { context, page, misbehaviour } = await openPage(browser, origin);
  try {
    await use(page);
  } finally {
    await context.close();
  }
  return misbehaviour;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
