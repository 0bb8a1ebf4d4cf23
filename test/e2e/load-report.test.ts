import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, CLEAN, HAVE_CHROMIUM, inTab, launchBrowser, screenshot } from '../../testkit/browser.js';
import { exodus, generateRoster, skipUnless, startSystem, tempDir } from '../../testkit/index.js';

const skip = skipUnless(
  HAVE_CHROMIUM,
  `headless Chromium not found at ${CHROMIUM} (apt-get install chromium, or set EXODUS_CHROMIUM)`,
);

describe.skipIf(skip)('the load report in a real browser', () => {
  it('opens offline from its file: verdict, four charts drawn, the fault listed, no error', async () => {
    const dataDir = tempDir();
    await generateRoster(dataDir, 200);
    const system = await startSystem({ dataDir });
    const out = tempDir();
    try {
      const run = await exodus([
        'chaos',
        'run',
        'test/fixtures/chaos/ci-report.yaml',
        '--roster',
        join(dataDir, 'roster.csv'),
        '--data',
        dataDir,
        '--out',
        out,
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    } finally {
      await system.stop();
    }
    const report = pathToFileURL(join(out, 'load', 'report.html')).href;
    const browser = await launchBrowser();
    try {
      const misbehaviour = await inTab(browser, report, async (page) => {
        await page.goto(report);
        await page.waitForFunction(() => document.body.dataset['charts'] === '4', undefined, { timeout: 10_000 });
        expect(await page.locator('#verdict').textContent()).toBe('PASS');
        expect(await page.locator('canvas').count()).toBe(4);
        expect(await page.getByText('kill -9 a worker', { exact: true }).count()).toBe(1);
        await screenshot(page, 'load-report');
      });
      // The report fetches nothing: uPlot and the data are inside the file.
      expect({
        ...misbehaviour,
        foreignRequests: misbehaviour.foreignRequests.filter((url) => url !== report),
      }).toEqual(CLEAN);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
