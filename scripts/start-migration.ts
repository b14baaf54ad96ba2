/**
 * Starting a migration from code, as a deploy pipeline would:
 *
 *   npx tsx scripts/start-migration.ts examples/plan.yaml users
 *
 * The connection comes from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …), like the CLI.
 */
import { connectClient } from '../src/lib/temporal.js';
import { loadPlan } from '../src/plan/index.js';
import { startMigration } from '../src/cli/start-migration.js';
import { progressQuery } from '../src/workflows/messages.js';

const [planFile, family] = process.argv.slice(2);
if (!planFile || !family) {
  process.stderr.write('usage: npx tsx scripts/start-migration.ts <plan.yaml> <family>\n');
  process.exit(2);
}

const plan = await loadPlan(planFile);
const client = await connectClient();
try {
  // One live migration per family: a second start is refused with PHX_ERR_MIGRATION_ALREADY_RUNNING.
  const { handle, uiUrl } = await startMigration({ client, plan, family });
  process.stdout.write(`started ${handle.workflowId} — ${uiUrl}\n`);
  const progress = await handle.query(progressQuery);
  process.stdout.write(`stage: ${progress.stage}, ${progress.percent}% on new\n`);
} finally {
  await client.connection.close();
}
