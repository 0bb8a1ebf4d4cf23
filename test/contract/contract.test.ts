import { ENGINES } from './engines.js';
import { queueContract } from './queue.contract.js';
import { storeContract } from './store.contract.js';

for (const engine of ENGINES) {
  queueContract(engine);
  storeContract(engine);
}
