/**
 * What a boarding pass looks like, without checking it: `EV-00042.<expiry>.<signature>`, an evacuee
 * id, the expiry in Unix seconds (base 36) and a base64url HMAC-SHA256 (43 characters). Node-free,
 * so the page can tell someone "this is not a boarding pass" before a browser refuses to send it
 * (a header cannot carry most characters) and the server can refuse it before any crypto.
 */
const PASS_SHAPE = /^EV-\d{5,9}\.[0-9a-z]{1,10}\.[A-Za-z0-9_-]{43}$/;

export function isPassShaped(text: string): boolean {
  return PASS_SHAPE.test(text);
}
