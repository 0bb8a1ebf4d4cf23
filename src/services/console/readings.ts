import type { StoredInstance, StoredPoint, TelemetryStore } from '../../ports/index.js';
import { increments, type Increment } from './metric-math.js';

/** What a view reads of the stored metrics: each metric read at most once, since one time. */
export interface Readings {
  /** The reader holds every stored point since then (the horizon of `increments`). */
  readonly sinceMs: number;
  /** A metric's points, oldest first. */
  points(name: string): readonly StoredPoint[];
  /** A counter's or histogram's increments (see metric-math.ts). */
  increments(name: string): readonly Increment[];
  /** The processes heard from since then, with their host and version (instance-origin.ts), oldest report first. */
  instances(): readonly StoredInstance[];
}

export function readings(store: TelemetryStore, sinceMs: number): Readings {
  const read = new Map<string, readonly StoredPoint[]>();
  const grown = new Map<string, readonly Increment[]>();
  let heard: readonly StoredInstance[] | undefined;
  const points = (name: string): readonly StoredPoint[] => {
    let found = read.get(name);
    if (found === undefined) read.set(name, (found = store.points([name], sinceMs)));
    return found;
  };
  return {
    sinceMs,
    points,
    increments: (name) => {
      let found = grown.get(name);
      if (found === undefined) grown.set(name, (found = increments(points(name), sinceMs)));
      return found;
    },
    instances: () => (heard ??= store.instances(sinceMs)),
  };
}
