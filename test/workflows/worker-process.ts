/**
 * A worker in its own process, so a test can kill it with SIGKILL mid-migration.
 * argv: <temporal address> <task queue> <report dir>. Prints "ready" once polling.
 */
import { NativeConnection } from '@temporalio/worker';
import { createPhoenixWorker, bundleWorkflows } from '../../src/worker/worker.js';

async function run(): Promise<void> {
  const [address, taskQueue, reportDir] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address: address! });
  const worker = await createPhoenixWorker({
    connection,
    taskQueue: taskQueue!,
    workflowBundle: await bundleWorkflows(),
    activities: { reportDir: reportDir! },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

run().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
