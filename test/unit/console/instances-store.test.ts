import { describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import type { StoredInstance } from '../../../src/ports/index.js';
import { tempDir } from '../../../testkit/index.js';

const T0 = Date.UTC(2045, 0, 1, 12);
const heard = (instance: string, version: string, first: number, last: number, host = 'host-a'): StoredInstance => ({
  service: 'exodus-worker',
  instance,
  version,
  host,
  pod: null,
  node: null,
  firstSeenMs: first,
  lastSeenMs: last,
});

describe("the console store's processes: one record per process and version", () => {
  it('widens a known record (in any order of arrival), keeps a new version apart, and prunes by last report', () => {
    const store = openTelemetryStore(tempDir('exodus-instances-'));
    try {
      store.record({ instances: [heard('worker-1', '1.0.0', T0 + 5000, T0 + 6000)] });
      // A late export of earlier points, from where it ran before: times widen, the host stays the newest report's.
      store.record({ instances: [heard('worker-1', '1.0.0', T0, T0 + 1000, 'host-b')] });
      expect(store.instances(0)).toEqual([heard('worker-1', '1.0.0', T0, T0 + 6000)]);
      // A newer report from another host (the pod moved): the host follows.
      store.record({ instances: [heard('worker-1', '1.0.0', T0 + 6000, T0 + 6500, 'host-b')] });
      store.record({ instances: [heard('worker-1', '2.0.0', T0 + 7000, T0 + 8000)] });
      expect(store.instances(0)).toEqual([
        heard('worker-1', '1.0.0', T0, T0 + 6500, 'host-b'),
        heard('worker-1', '2.0.0', T0 + 7000, T0 + 8000),
      ]);
      expect(store.instances(T0 + 7000).map((i) => i.version)).toEqual(['2.0.0']);
      expect(store.prune({ olderThanMs: T0 + 7000, maxBytes: 1e9 }).deleted).toBe(1);
      expect(store.instances(0).map((i) => i.version)).toEqual(['2.0.0']);
    } finally {
      store.close();
    }
  });
});
