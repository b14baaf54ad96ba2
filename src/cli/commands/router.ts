import type { Command } from 'commander';
import { loadPlan } from '../../plan/index.js';
import { portFlag } from '../flags.js';

/** `phoenix router --plan plan.yaml`: runs the strangler router until Ctrl-C. */
export function register(program: Command): void {
  program
    .command('router')
    .description('Run the strangler router in front of the monolith (admin token from PHOENIX_ADMIN_TOKEN).')
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option('--port <port>', 'public port (default: the port of router.publicUrl)', portFlag)
    .option('--host <address>', 'public bind address', '127.0.0.1')
    .option('--admin-port <port>', 'admin API port (default: the port of router.adminUrl)', portFlag)
    .option('--admin-host <address>', 'admin API bind address', '127.0.0.1')
    .option('--state-file <file>', 'flag state file (default: router.stateFile)')
    .option('--insecure-admin', 'run the admin API without a token (loopback admin host only)')
    .action(
      async (opts: {
        plan: string;
        port?: number;
        host: string;
        adminPort?: number;
        adminHost: string;
        stateFile?: string;
        insecureAdmin?: boolean;
      }) => {
        const plan = await loadPlan(opts.plan);
        const { startRouter } = await import('../../router/server.js');
        const router = await startRouter({
          plan,
          port: opts.port,
          host: opts.host,
          adminPort: opts.adminPort,
          adminHost: opts.adminHost,
          stateFile: opts.stateFile,
          insecureAdmin: opts.insecureAdmin,
        });
        process.stdout.write(
          `router on ${router.url} (admin ${router.adminUrl}), state in ${router.stateFile}; Ctrl-C stops it\n`,
        );
        await new Promise<void>((resolve) => {
          // A second signal (Ctrl-C reaches both the launcher and this process) joins the same close.
          const stop = (): void => void router.close().then(resolve);
          // The launcher in bin/ going away arrives as SIGTERM too (see bin/malloc-tuning.mjs).
          for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
        });
      },
    );
}
