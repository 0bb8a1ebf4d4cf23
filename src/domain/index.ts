export * from './errors.js';
export * from './evacuee.js';
export * from './boarding-pass.js';
export * from './sanitise.js';
export * from './version.js';
export * from './wish.js';
export * from './wall.js';
export * from './wish-guards.js';
