/**
 * What an operator typed in an attribute search (`http.response.status_code=503 messaging.destination.name=wishes`)
 * as `key=value` terms: a new term begins where whitespace is followed by a `key=`, so a value may
 * hold spaces (`exception.message=store unreachable`). The API takes each term as one `where`.
 */
export function splitAttributeTerms(typed: string): string[] {
  return typed
    .trim()
    .split(/\s+(?=[A-Za-z0-9_.:/-]+=)/)
    .map((term) => term.trim())
    .filter((term) => term !== '');
}
