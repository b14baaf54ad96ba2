import type { Command } from 'commander';
import { catchStopSignals } from '../../lib/stop-signals.js';
import { loadPlan } from '../../plan/index.js';
import { portFlag } from '../flags.js';
import { CliError, ExitCode } from '../output.js';

interface RouterFlags {
  plan: string;
  dataPlane?: 'phoenix' | 'nginx';
  port?: number;
  host: string;
  adminPort?: number;
  adminHost: string;
  stateFile?: string;
  insecureAdmin?: boolean;
  mirrorPort?: number;
  mirrorHost?: string;
  allowUnsafe?: boolean;
}

function dataPlaneFlag(value: string): 'phoenix' | 'nginx' {
  if (value === 'phoenix' || value === 'nginx') return value;
  throw new CliError(
    'PHX_ERR_CLI_BAD_FLAG',
    `--data-plane: expected "phoenix" or "nginx", got "${value}"`,
    ExitCode.Usage,
  );
}

/**
 * `phoenix router --plan plan.yaml`: runs the plan's data plane until Ctrl-C: the built-in
 * strangler router, or (families on nginx) the nginx data plane process on the nginx host.
 */
export function register(program: Command): void {
  program
    .command('router')
    .description(
      "Run the plan's data plane until Ctrl-C: the built-in strangler router in front of the monolith, or, for families on nginx, the nginx data plane (drives nginx's include file, its guard and the shadow comparator, behind the same admin API). Admin token from PHOENIX_ADMIN_TOKEN.",
    )
    .requiredOption('--plan <file>', 'plan file (YAML)')
    .option(
      '--data-plane <kind>',
      "which families to carry: phoenix (the built-in router) or nginx (default: the plan's dataPlane.kind)",
      dataPlaneFlag,
    )
    .option('--port <port>', 'public port (default: the port of router.publicUrl); built-in router only', portFlag)
    .option('--host <address>', 'public bind address; built-in router only', '127.0.0.1')
    .option(
      '--admin-port <port>',
      'admin API port (default: the port of router.adminUrl; nginx: of dataPlane.adminUrl when set)',
      portFlag,
    )
    .option('--admin-host <address>', 'admin API bind address', '127.0.0.1')
    .option('--state-file <file>', 'flag state file (default: router.stateFile); built-in router only')
    .option('--insecure-admin', 'run the admin API without a token (loopback admin host only)')
    .option(
      '--mirror-port <port>',
      "nginx: where nginx's mirrors are compared (default: the port of dataPlane.comparatorUrl)",
      portFlag,
    )
    .option(
      '--mirror-host <address>',
      'nginx: bind address for the mirrors (default: the host of dataPlane.comparatorUrl)',
    )
    .option(
      '--allow-unsafe',
      'nginx: compare unsafe requests of families with parity.mirrorUnsafe (each reaches legacy twice)',
    )
    .action(async (opts: RouterFlags) => {
      // The launcher in bin/ going away arrives as SIGTERM too (see bin/malloc-tuning.mjs).
      const signals = catchStopSignals();
      const plan = await loadPlan(opts.plan);
      if ((opts.dataPlane ?? plan.dataPlane.kind) === 'nginx') {
        const { startNginxDataPlane } = await import('../../nginx/data-plane-server.js');
        const dp = await startNginxDataPlane({
          plan,
          adminPort: opts.adminPort,
          adminHost: opts.adminHost,
          insecureAdmin: opts.insecureAdmin,
          mirrorPort: opts.mirrorPort,
          mirrorHost: opts.mirrorHost,
          allowUnsafe: opts.allowUnsafe,
        });
        process.stdout.write(
          `nginx data plane: admin ${dp.adminUrl}${dp.mirrorUrl ? `, comparing nginx's mirrors on ${dp.mirrorUrl}` : ''}${dp.nginxRunning ? '' : '; nginx is not running yet: the include file is installed, start nginx'}; Ctrl-C stops it\n`,
        );
        return signals.until(dp);
      }
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
      await signals.until(router);
    });
}
