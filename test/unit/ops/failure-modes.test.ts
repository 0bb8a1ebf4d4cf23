import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAILURE_MODES_DOC, failureModesMarkdown } from '../../../src/ops/failure-modes-doc.js';
import { readSlos } from '../../../src/ops/index.js';
import { EVENT, METRIC, packageRoot } from '../../../src/runtime/index.js';
import { FAILURE_MODES, riskOf } from '../../../src/services/failure-modes.js';

/**
 * The failure-mode table is one source (src/services/failure-modes.ts): scored 1–10 three times (a
 * Risk Reference Number 1..1000), every live signal naming something that exists, and
 * docs/failure-modes.md exactly what the data makes.
 */
describe('the failure modes', () => {
  it('every score is 1..10 and every RRN (severity × occurrence × detection) is 1..1000', () => {
    for (const mode of FAILURE_MODES) {
      for (const score of [mode.severity, mode.occurrence, mode.detection]) {
        expect(Number.isInteger(score), mode.id).toBe(true);
        expect(score, mode.id).toBeGreaterThanOrEqual(1);
        expect(score, mode.id).toBeLessThanOrEqual(10);
      }
      expect(riskOf(mode)).toBe(mode.severity * mode.occurrence * mode.detection);
      expect(riskOf(mode)).toBeGreaterThanOrEqual(1);
      expect(riskOf(mode)).toBeLessThanOrEqual(1000);
    }
    expect(riskOf({ severity: 10, occurrence: 10, detection: 10 })).toBe(1000);
  });

  it('ids are unique slugs, and every row has a live signal', () => {
    const ids = FAILURE_MODES.map((mode) => mode.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    for (const mode of FAILURE_MODES) expect(mode.signals.length, mode.id).toBeGreaterThan(0);
  });

  it('every signal names something that exists: an event kind of EVENT, a metric of METRIC, an SLO of slo/', () => {
    const events = new Set<string>(Object.values(EVENT));
    const metrics = new Set<string>(Object.values(METRIC));
    const slos = new Set(readSlos(join(packageRoot(), 'slo')).map((slo) => slo.name));
    for (const mode of FAILURE_MODES)
      for (const signal of mode.signals) {
        if (signal.kind === 'event') expect(events, `${mode.id}: ${signal.event}`).toContain(signal.event);
        if (signal.kind === 'metric') expect(metrics, `${mode.id}: ${signal.metric}`).toContain(signal.metric);
        if (signal.kind === 'slo') expect(slos, `${mode.id}: ${signal.slo}`).toContain(signal.slo);
      }
    // Every SLO has a failure mode that it watches.
    const watched = new Set(
      FAILURE_MODES.flatMap((mode) => mode.signals.flatMap((s) => (s.kind === 'slo' ? [s.slo] : []))),
    );
    expect([...slos].filter((slo) => !watched.has(slo))).toEqual([]);
  });

  it(`${FAILURE_MODES_DOC} is what the data makes (npm run docs:failure-modes)`, () => {
    const doc = readFileSync(join(packageRoot(), FAILURE_MODES_DOC), 'utf8');
    expect(doc, `${FAILURE_MODES_DOC} is stale: run npm run docs:failure-modes`).toBe(failureModesMarkdown());
  });

  it('the doc ranks by RRN, highest first, and scores on 1–10 scales', () => {
    const doc = failureModesMarkdown();
    const risks = [...doc.matchAll(/ = \*\*(\d+)\*\* \|/g)].map((match) => Number(match[1]));
    expect(risks).toHaveLength(FAILURE_MODES.length);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    expect(doc).toContain('from 1 to 1000');
  });
});
