import { afterAll, describe } from 'vitest';
import { skipUnless } from '../../testkit/index.js';
import { ENGINES } from './engines.js';
import { queueContract } from './queue.contract.js';
import { storeContract } from './store.contract.js';

for (const engine of ENGINES) {
  const skip = skipUnless(engine.unavailable === undefined, `${engine.name}: ${engine.unavailable ?? ''}`);
  describe.skipIf(skip)(`engine ${engine.name}${skip ? ` (skipped: ${engine.unavailable ?? ''})` : ''}`, () => {
    if (engine.openMessaging !== undefined) queueContract(engine, engine.openMessaging);
    if (engine.openStorage !== undefined) storeContract(engine, engine.openStorage);
    if (engine.teardown !== undefined) afterAll(engine.teardown, 60_000);
  });
}
