export { createTallyHandler } from './handler.js';
