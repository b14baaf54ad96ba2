export { migrateFamily } from './migrate-family.js';
export { migrateProgram } from './migrate-program.js';
