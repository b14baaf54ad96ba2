/**
 * A fleet for tests: legacy and new upstreams, and `size` real built-in routers on ports chosen
 * up front, listed as the plan's `dataPlane.members`. A member can be stopped (its state file
 * kept) and started again on the same ports, as a router restarted by its supervisor would be.
 */
import { after, before } from 'node:test';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startMigration } from '../../src/cli/start-migration.js';
import type { Plan } from '../../src/plan/index.js';
import { createRouterAdminClient } from '../../src/router/client.js';
import { startRouter, type RunningRouter } from '../../src/router/server.js';
import type { GuardState, RouteState } from '../../src/router/types.js';
import { restartablePort } from '../helpers/ports.js';
import type { MigrationHandle } from './harness.js';
import { startUpstream, writePlan, type PlanOverrides, type Upstream } from './support.js';

/** One member: its ports, and its router while it runs. */
export interface Member {
  publicUrl: string;
  adminUrl: string;
  router: RunningRouter | undefined;
}

export interface FleetStack {
  legacy: Upstream;
  candidate: Upstream;
  members: Member[];
  plan: Plan;
  dir: string;
  /** The plan's one family, which every test moves. */
  family: string;
  /** The members' admin URLs in member order: the activities' `adminUrls`. */
  adminUrls: string[];
  /** Stops member `i` (it keeps its state file), as a crash or a restart would. */
  stop(i: number): Promise<void>;
  /**
   * Starts member `i` again on its ports, from its state file, with `plan` as its copy of the
   * plan (as a host with its own copy would); @default the fleet's plan
   */
  start(i: number, plan?: Plan): Promise<void>;
  /** Member `i`'s route and guard for the family, as it serves them now. */
  state(i: number): Promise<{ route: RouteState; guard: GuardState }>;
  /** Every member's route for the family now, as [mode, percent, version], in member order. */
  routes(): Promise<[string, number, number][]>;
  close(): Promise<void>;
}

/** Upstreams and `size` routers whose admin URLs are the plan's `dataPlane.members`. */
export async function startFleet(size: number, o: PlanOverrides = {}): Promise<FleetStack> {
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('new');
  const ports: { port: number; adminPort: number }[] = [];
  // Members are stopped and started again on their ports: ports no outgoing connection can take meanwhile.
  for (let i = 0; i < size; i++) ports.push({ port: await restartablePort(), adminPort: await restartablePort() });
  const adminUrls = ports.map((p) => `http://127.0.0.1:${p.adminPort}`);
  const { plan, dir } = await writePlan(legacy.url, candidate.url, {
    ...o,
    dataPlane: { kind: 'phoenix', members: adminUrls },
  });
  // The routers share this process with the test's traffic and worker; that busy time is not theirs.
  plan.router.shadowMaxBusy = 1;
  const members: Member[] = ports.map((p, i) => ({
    publicUrl: `http://127.0.0.1:${p.port}`,
    adminUrl: adminUrls[i]!,
    router: undefined,
  }));
  const family = plan.families[0]!.name;
  const stack: FleetStack = {
    legacy,
    candidate,
    members,
    plan,
    dir,
    family,
    adminUrls,
    async stop(i) {
      const m = members[i]!;
      await m.router?.close();
      m.router = undefined;
    },
    async start(i, copy = plan) {
      members[i]!.router = await startRouter({
        plan: copy,
        ...ports[i]!,
        insecureAdmin: true,
        stateFile: path.join(dir, `router-${i}-state.json`),
      });
    },
    async state(i) {
      const admin = createRouterAdminClient({ baseUrl: members[i]!.adminUrl });
      try {
        const [route, guard] = await Promise.all([admin.getRoute(family), admin.getGuard(family)]);
        return { route, guard };
      } finally {
        await admin.close();
      }
    },
    routes() {
      return Promise.all(
        members.map(async (_, i) => {
          const { route } = await stack.state(i);
          return [route.mode, route.percent, route.version] as [string, number, number];
        }),
      );
    },
    async close() {
      for (let i = 0; i < size; i++) await stack.stop(i);
      await legacy.close();
      await candidate.close();
    },
  };
  for (let i = 0; i < size; i++) await stack.start(i);
  return stack;
}

/**
 * A fleet one test file shares, as starting `size` routers for every test would cost more than the
 * tests: started in the file's `before` (which fills in the object returned here), closed in its
 * `after`. Its fields are unset until then, so use it inside tests only. Call it at the top level
 * of a test file.
 */
export function fleetFile(size: number, o: PlanOverrides = {}): FleetStack {
  const fleet = {} as FleetStack;
  let started: FleetStack | undefined;
  before(async () => {
    started = await startFleet(size, o);
    Object.assign(fleet, started);
  });
  after(() => started?.close());
  return fleet;
}

/**
 * Starts `migrateFamily` for the fleet's family on `taskQueue` with `phoenix start`'s own starter,
 * which puts the plan's members into the workflow's input. Its workflow id is `phoenix-<family>`,
 * so the family's name must be one no other test file uses.
 */
export async function startFleetMigration(
  client: Client,
  stack: FleetStack,
  taskQueue: string,
): Promise<MigrationHandle> {
  const { handle } = await startMigration({
    client,
    plan: stack.plan,
    family: stack.plan.families[0]!.name,
    taskQueue,
  });
  return handle;
}
