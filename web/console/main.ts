/**
 * The ops console: overview, traces, logs, events and metrics of a running Exodus, from the console server's
 * JSON API (`/api/v1/…`, same origin, session cookie). Built by esbuild into one module: the CSP
 * allows no inline script or style, and Trusted Types with no policy forbid every HTML sink.
 */
import { byId } from './dom.js';
import { startRouter, VIEW_TITLES, type ViewName } from './router.js';
import { Status } from './status.js';
import { eventsView } from './views/events.js';
import { logsView } from './views/logs.js';
import { metricsView } from './views/metrics.js';
import { overviewView } from './views/overview.js';
import { risksView } from './views/risks.js';
import { serviceView } from './views/service.js';
import { tracesView } from './views/traces.js';
import type { View, ViewContext } from './views/view.js';

const VIEW_FACTORIES: Readonly<Record<ViewName, (context: ViewContext) => View>> = {
  overview: overviewView,
  traces: tracesView,
  logs: logsView,
  events: eventsView,
  metrics: metricsView,
  service: serviceView,
  risks: risksView,
};

const status = new Status();
const container = byId('view', HTMLElement);
let current: { readonly name: ViewName; readonly view: View } | undefined;

startRouter(({ view: name, params }) => {
  if (current?.name !== name) {
    const entering = current !== undefined;
    current?.view.stop();
    status.clear();
    const view = VIEW_FACTORIES[name]({ status });
    current = { name, view };
    container.replaceChildren(view.root);
    for (const anchor of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
      if (anchor.dataset['view'] === name) anchor.setAttribute('aria-current', 'page');
      else anchor.removeAttribute('aria-current');
    }
    document.title = `${VIEW_TITLES[name]} · Exodus console`;
    // Moving between views takes the keyboard (and a screen reader) to the new view's heading; the
    // first view of a visit leaves focus where the browser put it.
    if (entering) view.root.querySelector<HTMLElement>('h2')?.focus();
  }
  current.view.show(params);
});
