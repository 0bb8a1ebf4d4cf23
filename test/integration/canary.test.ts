import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_EVACUEE_ID } from '../../src/domain/index.js';
import type { CanaryResponse, EventsResponse, SlosResponse } from '../../src/services/console/api-shapes.js';
import { exodus, startSystem, submitWish, waitFor, wishStatus, type RunningSystem } from '../../testkit/index.js';

/** Long enough for a loaded two-core machine: a few metric exports, the SLO cache (30 s), a dozen runs. */
const DEADLINE_MS = 120_000;
/** Runs watched: more than the 6 a minute one evacuee may send, so the canary's own pace is proven too. */
const RUNS = 8;

/**
 * The synthetic canary on a real `exodus up`, with the default per-evacuee limit: a wish every second
 * through the public API, timed to the 202, stored and the read model; the console lists its runs
 * and counts them in the freshness SLO; the public wall and tally never show one; the audit of the
 * real evacuees' wishes is clean.
 */
describe('the synthetic canary of exodus up', () => {
  let system: RunningSystem;
  let token: string;
  const consoleApi = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${system.consoleUrl ?? ''}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  /** Every wall item and the tally, as anyone reads them. */
  const publicView = async () => ({
    wall: ((await (await fetch(`${system.url}/api/wall?limit=100`)).json()) as { items: { evacueeId: string }[] })
      .items,
    tally: (await (await fetch(`${system.url}/api/tally`)).json()) as { mars: number; europa: number },
  });

  beforeAll(async () => {
    system = await startSystem({
      extraArgs: ['--canary-interval', '1s'],
      env: { EXODUS_EVACUEE_WRITES_PER_MINUTE: '6' },
    });
    token = readFileSync(join(system.dataDir, 'admin-token'), 'utf8').trim();
  }, DEADLINE_MS);
  afterAll(async () => {
    await system.stop();
  });

  it(
    'runs every second: each run ok with its three timings, listed by the console newest first, none on the wall or in the tally, and the audit is clean',
    async () => {
      await waitFor(() => system.output().includes('Exodus is up'), DEADLINE_MS, 'no banner');
      expect(system.output()).toContain(`canary      a wish as ${CANARY_EVACUEE_ID} every 1 s`);
      // Real evacuees' wishes beside it: the demo roster's, one each, as the ledger of an audit.
      const passes = readFileSync(join(system.dataDir, 'demo-roster.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','));
      const ledger: string[] = [];
      for (const [i, [evacueeId = '', , pass = '']] of passes.slice(0, 4).entries()) {
        const destination = i % 2 === 0 ? 'mars' : 'europa';
        const response = await submitWish(system.url, pass, { destination, message: `real wish ${i}` });
        expect(response.status).toBe(202);
        const { id, submittedAt } = (await response.json()) as { id: string; submittedAt: string };
        ledger.push(JSON.stringify({ id, evacueeId, destination, submittedAt }));
      }

      // Watched while the canary runs: the public wall and tally never show it.
      let canary: CanaryResponse = { runs: [], generatedAt: '' };
      const seen: string[] = [];
      await waitFor(
        async () => {
          const { wall, tally } = await publicView();
          if (wall.some((item) => item.evacueeId === CANARY_EVACUEE_ID)) seen.push('the canary on the wall');
          if (tally.mars + tally.europa > 4) seen.push(`a tally of ${tally.mars + tally.europa} for 4 evacuees`);
          canary = await consoleApi<CanaryResponse>('/api/v1/canary');
          return canary.runs.length >= RUNS;
        },
        DEADLINE_MS,
        `the console never listed ${RUNS} canary runs`,
      ).catch(() => undefined);
      expect(seen).toEqual([]);
      expect(canary.runs.length).toBeGreaterThanOrEqual(RUNS);
      const runs = canary.runs.slice(0, RUNS);
      expect(runs.filter((run) => !run.ok)).toEqual([]);
      for (const run of runs) {
        expect(run.wishId).toMatch(/^[0-9a-f-]{36}$/);
        for (const ms of [run.acceptedMs, run.storedMs, run.wallMs]) expect(ms).toBeGreaterThan(0);
        expect(run.acceptedMs ?? Infinity).toBeLessThan(Math.min(run.storedMs ?? 0, run.wallMs ?? 0));
        expect(run.wallMs ?? Infinity).toBeLessThanOrEqual(10_000);
      }
      // Newest first, a second or more apart (each run starts an interval after the one before).
      const times = runs.map((run) => Date.parse(run.at));
      for (let i = 1; i < times.length; i++) expect((times[i - 1] ?? 0) - (times[i] ?? 0)).toBeGreaterThanOrEqual(900);
      // Its wishes are stored (the latest current, the ones before superseded by it), like anyone's.
      const [newest, before] = runs;
      expect((await wishStatus(system.url, before?.wishId ?? '')).status).toBe('superseded');
      expect(['stored', 'superseded']).toContain((await wishStatus(system.url, newest?.wishId ?? '')).status);
      expect((await consoleApi<EventsResponse>('/api/v1/events?kind=canary.failed')).events).toEqual([]);

      const { wall, tally } = await publicView();
      expect(wall.map((item) => item.evacueeId).sort()).toEqual(passes.slice(0, 4).map(([id]) => id));
      expect(tally).toEqual({ mars: 2, europa: 2 });

      // The audit of the real wishes: every one accounted for, tally = store = wall, the canary's left out.
      const file = join(system.dataDir, 'ledger.ndjson');
      writeFileSync(file, `${ledger.join('\n')}\n`);
      const audit = await exodus(['audit', '--data', system.dataDir, '--ledger', file, '--wait', '30s']);
      expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
      expect(audit.stdout).toMatch(/^OK: all 4 accepted wishes accounted for \(4 evacuees\)/);
    },
    3 * DEADLINE_MS,
  );

  it(
    'is an input of the freshness SLO, and documented in both APIs',
    async () => {
      // The canary's runs are events of wish-freshness: its total grows with them though no one else sends.
      let freshness: SlosResponse['slos'][number] | undefined;
      await waitFor(
        async () => {
          freshness = (await consoleApi<SlosResponse>('/api/v1/slos')).slos.find(
            (slo) => slo.name === 'wish-freshness',
          );
          return (freshness?.total ?? 0) >= 4 + RUNS;
        },
        DEADLINE_MS,
        'the freshness SLO never counted the canary',
      ).catch(() => undefined);
      expect(freshness?.total).toBeGreaterThanOrEqual(4 + RUNS);
      expect(freshness?.good).toBe(freshness?.total);

      const consoleDoc = await consoleApi<{ paths: Record<string, unknown> }>('/api/openapi.json');
      expect(Object.keys(consoleDoc.paths)).toContain('/api/v1/canary');
      const publicDoc = (await (await fetch(`${system.url}/api/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(publicDoc.paths)).toContain('/api/canary');
    },
    DEADLINE_MS + 30_000,
  );
});
