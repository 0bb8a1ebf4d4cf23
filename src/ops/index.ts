export { freePort } from './free-port.js';
export { seededRandom } from './seeded-random.js';
export { ONE_ADDRESS_LOAD_ENV } from './one-address-load.js';
