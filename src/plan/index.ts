export * from './schema.js';
export * from './problems.js';
export * from './load.js';
export * from './migration-order.js';
export * from './duration.js';
export * from './route-pattern.js';
export * from './data-plane-members.js';
export * from './data-plane-of.js';
