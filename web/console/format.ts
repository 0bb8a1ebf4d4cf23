import type { Attributes, AttributeValue } from '../../src/services/console/api-shapes.js';

/**
 * How the console writes numbers and times. Times are UTC throughout, the same clock as the ISO
 * instants in links (`#/logs?around=…`), so what you read is what you can paste.
 */
const NONE = '–';

/** `2027-08-23T10:04:05.123Z` → `10:04:05.123`; anything unparsable as given. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(11, 23);
}

/** `2027-08-23T10:04:05.123Z` → `2027-08-23 10:04:05`. */
export function dateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)}`;
}

/** Milliseconds, with precision where it matters: `0.42 ms`, `12.3 ms`, `842 ms`, `3.20 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** An age in seconds: `0 s`, `42 s`, `3 min 05 s`, `2 h 10 min`. */
export function age(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return NONE;
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rate = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function count(n: number): string {
  return integer.format(n);
}

/** Per second, one decimal. */
export function perSecond(n: number): string {
  return rate.format(n);
}

/** A share 0..1 as a percentage: `0.0 %`, `12.5 %`. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

export function attributeText(value: AttributeValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** `key=value key2="two words"`: one line of text for a table cell. Never markup: it goes in as text. */
export function compactAttributes(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([key, value]) => {
      const text = attributeText(value);
      return `${key}=${text === '' || /[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    })
    .join(' ');
}

/** The first 8 hex digits of a trace or span id: enough to tell them apart on screen. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
