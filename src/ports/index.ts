export * from './envelope.js';
export * from './queue.js';
export * from './topic.js';
export * from './wish-store.js';
export * from './engines.js';
