import { link, type LinkProps } from './dom.js';
import { hrefOf } from './router.js';

/** `exodus-worker` → `worker`: the page's links use the name every CLI verb says. */
export const shortName = (service: string): string => service.replace(/^exodus-/, '');

/** Where a service's page is (or one of its processes'): `#/service?name=worker&instance=worker-2`. */
export function serviceHref(service: string, instance?: string): string {
  return hrefOf('service', { name: shortName(service), instance });
}

/**
 * A service name that leads to its page, wherever the console shows one (the overview's rows,
 * events, logs, traces, resources); with `instance`, to that process's page.
 */
export function serviceLink(
  service: string,
  options: { readonly instance?: string; readonly text?: string } & LinkProps = {},
): HTMLAnchorElement {
  const { instance, text, ...props } = options;
  return link(serviceHref(service, instance), text ?? instance ?? service, { class: 'service-link', ...props });
}
