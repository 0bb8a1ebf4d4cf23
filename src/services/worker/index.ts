export { createWorkerHandler } from './handler.js';
