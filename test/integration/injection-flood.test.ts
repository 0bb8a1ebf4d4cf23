import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, describe, expect, it } from 'vitest';
import type { Topic, WishStore } from '../../src/ports/index.js';
import { createLogger, LOG_FILE_DEFAULTS, logFilesOf, openProcessLog } from '../../src/runtime/index.js';
import { createParserHandler } from '../../src/services/parser/index.js';
import { sleep, tempDir } from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';

class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const ATTEMPTS = 50_000;
/** Wishes handled between pauses: about a consumer's batch; the pauses spread the flood over a few seconds, so the summaries span several. */
const BATCH = 500;
const PAUSE_MS = 20;

/**
 * Issue 20: a minute of hostile traffic (170,000 wishes with markup) wrote 62 MB to the parser's
 * log. Here 50,000 flagged wishes go through the parser's handler, its real logger writing to a
 * rotating process log with the defaults `exodus up` uses: every attempt is counted and in the log
 * (on its own line or in a summary's count), and the log stays far under its cap.
 */
describe('a flood of injection attempts', () => {
  const dir = tempDir('exodus-flood-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every attempt, sums them up in a few lines a second, and keeps the parser log under its cap', async () => {
    const reader = new OnDemandReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const path = join(dir, 'parser-1.log');
    const log = openProcessLog(path);
    const logger = createLogger('exodus-parser', 'info', log.input());
    let published = 0;
    const parsed: Topic = { name: 'wish.parsed', publish: async (messages) => void (published += messages.length) };
    // No wish in the flood breaks the rules, so the store is never asked to record a rejection.
    const store = { reject: () => Promise.reject(new Error('unexpected rejection')) } as Pick<
      WishStore,
      'reject'
    > as WishStore;
    const handle = createParserHandler({ store, parsed, logger });

    const started = Date.now();
    for (let i = 0; i < ATTEMPTS; i++) {
      const id = uuidv7();
      const wish = {
        id,
        evacueeId: `EV-${String(i % 1000).padStart(5, '0')}`,
        submittedAt: new Date().toISOString(),
        destination: 'mars',
        message: `<img src=x onerror=alert(${i})>`,
      };
      await handle(envelope(`${id}.accepted`, wish));
      if (i % BATCH === BATCH - 1) await sleep(PAUSE_MS);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(1100); // the last second's summary
    await log.end();

    expect(published).toBe(ATTEMPTS);
    const { resourceMetrics } = await reader.collect();
    const counter = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'exodus.wish.injection_attempts');
    expect((counter?.dataPoints as DataPoint<number>[] | undefined)?.reduce((sum, point) => sum + point.value, 0)).toBe(
      ATTEMPTS,
    );

    const files = logFilesOf(path);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    const lines = files
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const reports = lines.filter((line) => line['event'] === 'wish.injection_attempt');
    const alone = reports.filter((line) => typeof line['wishId'] === 'string');
    const summed = reports.filter((line) => typeof line['count'] === 'number');
    console.info(
      `flood: ${ATTEMPTS} attempts in ${seconds.toFixed(1)} s → ${files.length} file(s), ${bytes} bytes, ${lines.length} lines (${alone.length} alone, ${summed.length} summaries)`,
    );

    expect(bytes).toBeLessThanOrEqual(LOG_FILE_DEFAULTS.maxBytes * LOG_FILE_DEFAULTS.maxFiles);
    // Every attempt is in exactly one line: on its own or in a summary's count.
    expect(alone.length + summed.reduce((sum, line) => sum + (line['count'] as number), 0)).toBe(ATTEMPTS);
    // Two lines a second at most (the first attempt and the rest), over the seconds the flood lasted.
    expect(summed.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(2 * (Math.ceil(seconds) + 1));
    for (const summary of summed) {
      expect(summary).toMatchObject({ level: 40, windowMs: 1000 });
      expect((summary['sampleWishIds'] as string[]).length).toBeLessThanOrEqual(5);
      expect((summary['sampleEvacueeIds'] as string[]).length).toBeLessThanOrEqual(5);
    }
    expect(lines.map((line) => JSON.stringify(line)).join('\n')).not.toContain('onerror');
  }, 120_000);

  it('even line by line, the real logger cannot take a process log past its cap: the oldest rotation goes, the newest lines stay', async () => {
    const path = join(dir, 'unsummed-1.log');
    const [maxBytes, maxFiles] = [1024 * 1024, 3];
    const log = openProcessLog(path, { maxBytes, maxFiles });
    const logger = createLogger('exodus-parser', 'info', log.input());
    for (let i = 0; i < ATTEMPTS; i++) {
      // The line each attempt used to get before the summaries.
      logger.warn(
        {
          event: 'wish.injection_attempt',
          evacueeId: 'EV-00001',
          wishId: uuidv7(),
          submittedAt: new Date().toISOString(),
          seq: i,
        },
        'injection attempt: the wish looks like markup (kept as text, flagged)',
      );
      if (i % BATCH === BATCH - 1) await turn();
    }
    await log.end();
    const files = logFilesOf(path);
    const sizes = files.map((file) => statSync(file).size);
    const written = sizes.reduce((sum, size) => sum + size, 0);
    const last = readFileSync(path, 'utf8').trimEnd().split('\n').at(-1) ?? '{}';
    console.info(`line by line: ${files.length} file(s), ${written} bytes kept`);
    expect(files).toHaveLength(maxFiles);
    // pino writes a line at a time: a file closes at the first line that reaches maxBytes.
    expect(written).toBeLessThanOrEqual(maxFiles * (maxBytes + 512));
    expect(JSON.parse(last)).toMatchObject({ seq: ATTEMPTS - 1 });
  });
});
