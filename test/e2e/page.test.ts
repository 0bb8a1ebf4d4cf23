import { createRequire } from 'node:module';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  CLEAN,
  HAVE_CHROMIUM,
  launchBrowser,
  openPage,
  screenshot,
  type Misbehaviour,
} from '../../testkit/browser.js';
import { buildPipeline, passFor, type Pipeline, type PipelineOptions } from '../../testkit/in-process.js';
import { saturate, skipUnless, waitFor } from '../../testkit/index.js';

const skip = skipUnless(
  HAVE_CHROMIUM,
  `headless Chromium not found at ${CHROMIUM} (apt-get install chromium, or set EXODUS_CHROMIUM)`,
);
/** The tally on the page: the API serves it up to 1 s old (cached) and the page reads it every 2 s; a busy machine adds to both. */
const TALLY_FRESH_MS = 10_000;

describe.skipIf(skip)('the page in a real browser (Chromium, real pipeline on SQLite)', () => {
  let browser: Browser;
  let pipeline: Pipeline | undefined;
  const pages: { misbehaviour: Misbehaviour; close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => browser.close());
  afterEach(async () => {
    // Whatever a test did, the page never raised a dialog, logged an error (a CSP violation would),
    // threw, or talked to another origin.
    for (const { misbehaviour, close } of pages.splice(0)) {
      await close();
      expect(misbehaviour).toEqual(CLEAN);
    }
    await pipeline?.close();
    pipeline = undefined;
  });

  /** A pipeline listening on a real port, and a fresh browser tab on it. */
  const serve = async (
    options: PipelineOptions & { consumers?: boolean } = {},
  ): Promise<{ origin: string; p: Pipeline }> => {
    const p = (pipeline = await buildPipeline({ logLevel: 'warn', ...options }));
    if (options.consumers !== false) p.startConsumers();
    const origin = await p.app.listen({ host: '127.0.0.1', port: 0 });
    return { origin, p };
  };
  /** A tab on the page; `beforeLoad` may attach listeners that must see the page's very first requests. */
  const tab = async (origin: string, beforeLoad?: (page: Page) => void): Promise<Page> => {
    const opened = await openPage(browser, origin);
    pages.push({ misbehaviour: opened.misbehaviour, close: () => opened.context.close() });
    beforeLoad?.(opened.page);
    await opened.page.goto(origin);
    return opened.page;
  };
  const fill = async (
    page: Page,
    wish: { pass: string; destination?: 'mars' | 'europa'; to?: string; message: string },
  ): Promise<void> => {
    await page.fill('#pass', wish.pass);
    await page.check(`input[name="destination"][value="${wish.destination ?? 'mars'}"]`);
    await page.fill('#to', wish.to ?? '');
    await page.fill('#message', wish.message);
  };
  const mine = (page: Page, nth: number) => page.locator('#mine-list > li').nth(nth);

  it('submit: pending with its id, then stored and on the wall; replacing it shows the first superseded and moves the tally', async () => {
    const { origin, p } = await serve({ consumers: false });
    const page = await tab(origin);
    await expect
      .poll(() => page.textContent('#transit-mars'))
      .toMatch(/^9-month transit · leaving today, you arrive \d+ \w+ \d{4}$/);
    expect(await page.textContent('#transit-europa')).toMatch(/^72-month transit/);

    await fill(page, { pass: passFor('EV-00001'), to: 'Grandma', message: 'Water the apple tree.' });
    expect(await page.textContent('#message-count')).toBe('21 / 2,000 characters');
    await page.click('#submit');
    await page.waitForSelector('#mine-list > li[data-status="pending"]');
    const firstId = await mine(page, 0).getAttribute('data-id');
    expect(firstId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await mine(page, 0).textContent()).toContain(firstId);
    await screenshot(page, 'pending');

    p.startConsumers();
    await page.waitForSelector(`#mine-list > li[data-id="${firstId}"][data-status="stored"]`);
    await page.waitForSelector('#wall-list > li:has-text("Water the apple tree.")');
    await expect.poll(() => page.textContent('#tally-mars'), { timeout: TALLY_FRESH_MS }).toBe('1');
    expect(await page.textContent('#wall-list > li')).toContain('To Grandma');
    await screenshot(page, 'stored');

    await fill(page, {
      pass: passFor('EV-00001'),
      destination: 'europa',
      message: 'Changed my mind: see you on Europa.',
    });
    await page.click('#submit');
    await page.waitForSelector(`#mine-list > li[data-id="${firstId}"][data-status="superseded"]`);
    expect(await mine(page, 0).getAttribute('data-status')).toBe('stored');
    await expect.poll(() => page.textContent('#tally-europa'), { timeout: TALLY_FRESH_MS }).toBe('1');
    await expect.poll(() => page.textContent('#tally-mars'), { timeout: TALLY_FRESH_MS }).toBe('0');
    await page.waitForSelector('#wall-list > li.europa:has-text("Changed my mind")');
    expect(await page.locator('#wall-list > li').count()).toBe(1);
    await screenshot(page, 'superseded');
  });

  it('a wrong pass gets the page’s own words, inline: not accepted, expired, or not a pass at all (then nothing is sent)', async () => {
    const { origin } = await serve();
    const page = await tab(origin);
    const good = passFor('EV-00001');
    const tampered = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    await fill(page, { pass: tampered, message: 'Hello' });
    await page.click('#submit');
    await page.waitForSelector('#pass-error:not([hidden])');
    expect(await page.textContent('#pass-error')).toBe(
      'this boarding pass was not accepted: check it against your card',
    );
    expect(await page.getAttribute('#pass', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-errors');
    await screenshot(page, 'wrong-pass');

    await fill(page, { pass: passFor('EV-00001', new Date(Date.now() - 1000)), message: 'Hello' });
    await page.click('#submit');
    await expect
      .poll(() => page.textContent('#pass-error'))
      .toBe('this boarding pass has expired: ask the boarding desk for a new one');

    let posts = 0;
    page.on('request', (request) => void (request.method() === 'POST' && posts++));
    // A character no pass has (a browser would refuse to send it in a header), and a space inside.
    for (const notAPass of [`${good}ł`, good.replace('.', ' .'), 'my pass']) {
      await fill(page, { pass: notAPass, message: 'Hello' });
      await page.click('#submit');
      await expect
        .poll(() => page.textContent('#pass-error'))
        .toBe('this is not a boarding pass: copy it exactly as printed on your card (it starts with EV-)');
      expect(await page.textContent('#form-status')).not.toMatch(/could not be reached/);
    }

    await fill(page, { pass: good, message: '   ' });
    await page.click('#submit');
    await page.waitForSelector('#message-error:not([hidden])');
    expect(await page.textContent('#message-error')).toBe('write your wish first');
    expect(await page.isHidden('#pass-error')).toBe(true);

    await fill(page, { pass: good, message: 'reversed \u202Etext' });
    await page.click('#submit');
    await expect
      .poll(() => page.textContent('#message-error'))
      .toBe('character 10 (U+202E) is a bidi override, which would show the text in another order than written');
    expect(posts).toBe(0);
  });

  it('a wish that is nothing but markup is stored word for word and shown as those characters', async () => {
    const { origin } = await serve();
    const page = await tab(origin);
    const markup = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    await fill(page, { pass: passFor('EV-00005'), to: 'Mum <mum@example.org>', message: markup });
    await page.click('#submit');
    await page.waitForSelector('#mine-list > li[data-status="stored"]');
    expect(await mine(page, 0).textContent()).toContain('Stored: this is your wish on the wall');
    const wish = page.locator('#wall-list > li').first();
    await expect.poll(() => wish.locator('.wish-message').textContent()).toBe(markup);
    expect(await wish.locator('.wish-to').textContent()).toBe('To Mum <mum@example.org>');
    expect(await page.locator('#wall-list img, #wall-list script').count()).toBe(0);
    await screenshot(page, 'markup-as-text');
  });

  it('works from the keyboard alone', async () => {
    const { origin } = await serve();
    const page = await tab(origin);
    const focused = () => page.evaluate(() => document.activeElement?.id ?? '');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    for (let i = 0; i < 5 && (await focused()) !== 'pass'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('pass');
    await page.keyboard.type(passFor('EV-00007'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown'); // radio group: Mars → Europa
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('to');
    await page.keyboard.type('Whoever finds this');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('message');
    await page.keyboard.type('Typed without a mouse.');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('submit');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#mine-list > li[data-status="stored"]');
    await page.waitForSelector('#wall-list > li.europa:has-text("Typed without a mouse.")');
  });

  it('429: the sorry state counts down the Retry-After, keeps the wish in the form and holds the button', async () => {
    const { origin } = await serve({ frontDoor: { evacueeWritesPerMinute: 1 } });
    const page = await tab(origin);
    await fill(page, { pass: passFor('EV-00003'), message: 'First.' });
    await page.click('#submit');
    await page.waitForSelector('#mine-list > li');
    await fill(page, { pass: passFor('EV-00003'), message: 'Second, too soon.' });
    const [limited] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/wishes') && r.status() === 429),
      page.click('#submit'),
    ]);
    await page.waitForSelector('#sorry:not([hidden])');
    expect(await page.textContent('#sorry-title')).toBe('You are going a little fast.');
    expect(await page.textContent('#sorry-detail')).toContain('Your wish was not sent yet');
    expect(await page.textContent('#sorry-countdown')).toMatch(/^You can try again in \d+ s\.$/);
    await expectWaitHonours(page, [limited]);
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await page.inputValue('#message')).toBe('Second, too soon.');
    await screenshot(page, 'rate-limited');
  });

  it('503: the sorry state while the service sheds, honouring Retry-After; the sorry page on reload, which comes back by itself', async () => {
    const { origin } = await serve({ frontDoor: { shedEventLoopDelayMs: 40 } });
    // Every 503 the page meets, from its first request on: on a busy machine the 40 ms threshold may
    // shed a poll before the test saturates anything, and that answer is what the banner counts from.
    const shedAnswers: Response[] = [];
    const traffic: string[] = []; // printed if the sorry state never shows
    const page = await tab(origin, (opened) => {
      opened.on('response', (response) => {
        traffic.push(
          `${new Date().toISOString()} ${response.status()} ${response.request().method()} ${response.url()}`,
        );
        if (response.status() === 503) shedAnswers.push(response);
      });
      opened.on(
        'requestfailed',
        (request) =>
          void traffic.push(
            `${new Date().toISOString()} failed ${request.url()}: ${request.failure()?.errorText ?? ''}`,
          ),
      );
    });
    await fill(page, { pass: passFor('EV-00004'), message: 'Sent while everyone boards.' });

    // Real saturation: the server's event loop (in this process) blocked 120 ms out of every 125.
    // Whichever request meets it first (a poll or the send) pauses the whole page.
    const overloaded = saturate();
    try {
      await waitFor(async () => (await fetch(`${origin}/api/tally`)).status === 503, 5_000, 'never shed');
      // Send now, in one protocol call: this process (the server's, and Playwright's) is blocked most
      // of the time, so a click with its actionability round trips can time out. A disabled button
      // (a poll paused the page first) ignores it.
      await page.evaluate(() => document.querySelector<HTMLButtonElement>('#submit')?.click());
      await page.waitForSelector('#sorry:not([hidden])', { timeout: 30_000 }).catch((error: unknown) => {
        throw new Error(`no sorry state; the page's requests:\n${traffic.join('\n')}`, { cause: error });
      });
    } finally {
      overloaded.stop();
    }
    expect(await page.textContent('#sorry-title')).toBe('Everyone is boarding at once.');
    expect(await page.textContent('#sorry-countdown')).toMatch(/^You can try again in \d+ s\.$/);
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await page.inputValue('#message')).toBe('Sent while everyone boards.');
    expect(shedAnswers.every((r) => r.headers()['retry-after'] === '2')).toBe(true);
    await expectWaitHonours(page, shedAnswers);
    await screenshot(page, 'sorry');

    await page.waitForSelector('#sorry', { state: 'hidden', timeout: 10_000 });
    expect(await page.isDisabled('#submit')).toBe(false);
    await page.click('#submit');
    await page.waitForSelector('#mine-list > li[data-status="stored"]');

    const again = saturate();
    try {
      await waitFor(async () => (await fetch(`${origin}/api/tally`)).status === 503, 5_000, 'never shed');
      const reload = await page.reload();
      expect(reload?.status()).toBe(503);
      expect(await page.textContent('h1')).toBe('Everyone is boarding at once');
      await screenshot(page, 'sorry-page');
    } finally {
      again.stop();
    }
    // The sorry page has no script; it refreshes itself (every 10 s) into the real page.
    await page.waitForSelector('#wish-form', { timeout: 15_000 });
  }, 90_000);

  it('the wall: newest first, pages back and forth, filters by destination, and shows new wishes by itself', async () => {
    const { origin, p } = await serve();
    const submit = (n: number, destination: 'mars' | 'europa') =>
      p.app.inject({
        method: 'POST',
        url: '/api/wishes',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${passFor(`EV-${String(n).padStart(5, '0')}`)}`,
        },
        payload: JSON.stringify({ destination, message: `Wish number ${n}` }),
      });
    for (let n = 1; n <= 25; n++) expect((await submit(n, n % 3 === 0 ? 'europa' : 'mars')).statusCode).toBe(202);
    await waitFor(
      async () => (await p.app.inject('/api/tally')).json<{ mars: number; europa: number }>().mars === 17,
      10_000,
      'wishes never counted',
    );

    const page = await tab(origin);
    const messages = () => page.locator('#wall-list .wish-message').allTextContents();
    await expect.poll(messages).toHaveLength(20);
    expect((await messages())[0]).toBe('Wish number 25');
    expect(await page.isDisabled('#wall-newer')).toBe(true);
    await page.click('#wall-older');
    await expect
      .poll(messages)
      .toEqual(['Wish number 5', 'Wish number 4', 'Wish number 3', 'Wish number 2', 'Wish number 1']);
    expect(await page.isDisabled('#wall-older')).toBe(true);
    await page.click('#wall-newer');
    await expect.poll(async () => (await messages())[0]).toBe('Wish number 25');

    await page.check('input[name="wall-filter"][value="europa"]');
    await expect.poll(messages).toHaveLength(8);
    expect(await page.locator('#wall-list > li.mars').count()).toBe(0);

    expect((await submit(26, 'europa')).statusCode).toBe(202);
    await expect.poll(async () => (await messages())[0], { timeout: 10_000 }).toBe('Wish number 26');
  });

  it('is accessible (axe-core: WCAG 2.1 A/AA, contrast included) and fits a phone-sized screen', async () => {
    const { origin } = await serve();
    const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    // axe is injected as a script, which the page's CSP rightly forbids: this one context bypasses it.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(origin);
      await page.addScriptTag({ path: axeSource });
      const audit = async (): Promise<string[]> =>
        page.evaluate(async () => {
          const axe = (
            window as unknown as {
              axe: {
                run: (
                  context: Document,
                  options: object,
                ) => Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }>;
              };
            }
          ).axe;
          const result = await axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          });
          return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes)`);
        });
      expect(await audit()).toEqual([]);
      // And in the error state, with the inline errors and the summary showing.
      await page.fill('#pass', 'EV-00001.zzz.nope');
      await page.fill('#message', 'x'.repeat(2001));
      await page.click('#submit');
      await page.waitForSelector('#form-errors:not([hidden])');
      expect(await audit()).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(page, 'phone-errors');
    } finally {
      await context.close();
    }
  });
});

/**
 * The page waits what the server asked: its deadline (the banner's `data-until`) lies Retry-After to
 * 1.3 × Retry-After after one of the answers that asked, by the browser's own clock.
 */
async function expectWaitHonours(page: Page, answers: readonly Response[]): Promise<void> {
  const until = Number(await page.getAttribute('#sorry', 'data-until'));
  const waits = answers.map((answer) => {
    const timing = answer.request().timing();
    return {
      retryAfterMs: Number(answer.headers()['retry-after']) * 1000,
      waitedMs: until - (timing.startTime + timing.responseEnd),
    };
  });
  expect(waits.length).toBeGreaterThan(0);
  expect(
    waits.some(
      ({ retryAfterMs, waitedMs }) =>
        retryAfterMs > 0 && waitedMs >= retryAfterMs - 50 && waitedMs <= retryAfterMs * 1.3 + 250,
    ),
    JSON.stringify(waits),
  ).toBe(true);
}
