export { freePort } from './free-port.js';
export { seededRandom } from './seeded-random.js';
