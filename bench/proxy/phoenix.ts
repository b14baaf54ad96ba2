/**
 * Peer: the real Phoenix router (`src/router/server.ts`) with a one-family plan whose routes
 * cover the benchmark paths. It starts in `legacy` mode (every request to `--legacy`); run.ts
 * switches the shadow configuration through the admin API. Admin runs without a token
 * (`insecureAdmin`) on 127.0.0.1 only.
 *
 * Run: `node --import tsx bench/proxy/phoenix.ts --legacy URL --new URL [--port 0]`;
 * prints `READY <port> {"adminUrl":…}`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { parsePlan } from '../../src/plan/load.js';
import { createLogger } from '../../src/lib/logger.js';
import { startRouter } from '../../src/router/server.js';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    legacy: { type: 'string', default: 'http://127.0.0.1:3000' },
    new: { type: 'string' },
    port: { type: 'string', default: '0' },
    'admin-port': { type: 'string', default: '0' },
  },
});

// run.ts sets this family's route through the admin API.
const BENCH_FAMILY = 'bench';

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'phx-router-'));
  const legacy = args.legacy;
  const candidate = args.new ?? legacy;
  const text = `version: 1
name: bench
legacy: ${legacy}
approvers: [bench]
router:
  stateFile: ${join(dir, 'state.json')}
  shadowNice: ${Number(process.env.PHOENIX_BENCH_SHADOW_NICE ?? 19)}
  shadowMaxBusy: ${Number(process.env.PHOENIX_BENCH_SHADOW_MAX_BUSY ?? 0.9)}
  shadowBusyWindowMs: ${Number(process.env.PHOENIX_BENCH_SHADOW_BUSY_WINDOW_MS ?? 1000)}
families:
  - name: ${BENCH_FAMILY}
    routes: ["GET /api/bench/*"]
    new: ${candidate}
    parity:
      sampleRate: 1
`;
  const plan = await parsePlan(text, join(dir, 'plan.yaml'));
  const logger = createLogger(
    'bench-router',
    { level: process.env.PHOENIX_LOG_LEVEL ?? 'warn' },
    process.stderr as unknown as DestinationStream,
  );
  const router = await startRouter({
    plan,
    port: Number(args.port),
    adminPort: Number(args['admin-port']),
    insecureAdmin: true,
    stateFile: join(dir, 'state.json'),
    logger,
  });
  process.stdout.write(`READY ${router.port} ${JSON.stringify({ url: router.url, adminUrl: router.adminUrl })}\n`);
  process.on('SIGTERM', () => {
    void Promise.resolve(router.close()).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

run().catch((err: unknown) => {
  process.stderr.write(`phoenix peer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
