/**
 * The version order of an evacuee's wishes: last writer wins by `(submittedAt, id)`. Ids are UUIDv7,
 * so the id breaks ties between wishes accepted in the same millisecond, deterministically everywhere.
 */
export interface Versioned {
  readonly id: string;
  readonly submittedAt: string;
}

/** Negative when `a` is older than `b`, positive when newer, 0 for the same version. */
export function compareVersions(a: Versioned, b: Versioned): number {
  const byTime = Date.parse(a.submittedAt) - Date.parse(b.submittedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isNewer(candidate: Versioned, current: Versioned | undefined): boolean {
  return current === undefined || compareVersions(candidate, current) > 0;
}
