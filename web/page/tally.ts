import { getJson, type TallyAnswer } from './api.js';
import { byId } from './dom.js';
import { every, type Pause } from './pause.js';

const REFRESH_MS = 2000;

/** The live Mars/Europa count in the masthead, polled: one small read from the read model, fine behind any proxy. */
export function startTally(pause: Pause): void {
  const mars = byId('tally-mars', HTMLSpanElement);
  const europa = byId('tally-europa', HTMLSpanElement);
  every(REFRESH_MS, pause, async () => {
    const tally = await getJson<TallyAnswer>('/api/tally');
    mars.textContent = tally.mars.toLocaleString('en-US');
    europa.textContent = tally.europa.toLocaleString('en-US');
  });
}
