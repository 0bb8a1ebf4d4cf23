/** Building DOM: see web/shared/element.ts (shared with the console). */
export { byId, h } from '../shared/element.js';

export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** `2027-08-23` or an ISO instant → "23 Aug 2027" (UTC: arrival days are UTC days); anything else as given. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function formatTime(date: Date): string {
  return timeFormat.format(date);
}
