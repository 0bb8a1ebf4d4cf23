import type { AttributeMatch } from '../../ports/index.js';

/**
 * `key=value` as a search gives it (the query schema has checked its form): split at the first `=`,
 * so a value may hold `=` itself (`url.query=a=b`). The key is trimmed; the value is kept exactly,
 * since an attribute's text is matched exactly.
 */
export function parseAttributeMatch(term: string): AttributeMatch {
  const at = term.indexOf('=');
  if (at <= 0) throw new RangeError(`not key=value: ${term}`);
  return { key: term.slice(0, at).trim(), value: term.slice(at + 1) };
}

/** The terms of a query (absent: none), as matches. */
export function parseAttributeMatches(terms: readonly string[] | undefined): AttributeMatch[] {
  return (terms ?? []).map(parseAttributeMatch);
}
