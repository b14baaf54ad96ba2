import type { Plan } from '../../src/plan/index.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';

/**
 * The real router as a test process runs it: public and admin ports chosen by the OS (so parallel
 * test files never collide) and the admin API on loopback without a token, which the router
 * refuses unless told it is deliberate.
 */
export function startLocalRouter(plan: Plan, stateFile: string): Promise<RunningRouter> {
  return startRouter({ plan, port: 0, adminPort: 0, insecureAdmin: true, stateFile });
}
