import type { ServicesResponse } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { shortName } from './service-link.js';

/**
 * Pick lists for the filters, of what the console has seen: the services (short names, as the CLI
 * says them, and their telemetry names) and their processes. A name typed that is in neither still
 * works as typed; the lists spare the guessing that matched nothing.
 */
export function seenLists(idPrefix: string): {
  readonly services: HTMLDataListElement;
  readonly instances: HTMLDataListElement;
  fill(seen: ServicesResponse): void;
} {
  const services = h('datalist', { attrs: { id: `${idPrefix}-services` } });
  const instances = h('datalist', { attrs: { id: `${idPrefix}-instances` } });
  const options = (values: Iterable<string>) =>
    [...new Set(values)].sort().map((value) => h('option', { attrs: { value } }));
  return {
    services,
    instances,
    fill: (seen) => {
      services.replaceChildren(...options(seen.services.flatMap((s) => [shortName(s.name), s.name])));
      instances.replaceChildren(...options(seen.services.flatMap((s) => s.instances.map((i) => i.instance))));
    },
  };
}
