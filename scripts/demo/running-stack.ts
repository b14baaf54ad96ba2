/**
 * The demo plan for the stack as it runs, and (`npm run demo -- --keep`) what a user needs to go
 * on with it: the plan with the ports the demo really uses, written where the follow-up commands
 * read it, and the commands themselves with the environment they need (admin token, Temporal
 * address), printed once on stdout: the token is for the user, never for a log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';

/** Where the demo's pieces listen; examples/demo-plan.yaml names the default ones. */
export interface DemoPorts {
  legacyUrl: string;
  newUrl: string;
  routerPort: number;
  adminPort: number;
  uiPort: number;
}

/** The demo plan's text with the addresses it names replaced by the ones in use. */
export function withPorts(planText: string, p: DemoPorts): string {
  return planText
    .replaceAll('http://127.0.0.1:5000', p.legacyUrl)
    .replaceAll('http://127.0.0.1:8001', p.newUrl)
    .replaceAll('http://127.0.0.1:8080', `http://127.0.0.1:${p.routerPort}`)
    .replaceAll('http://127.0.0.1:9090', `http://127.0.0.1:${p.adminPort}`)
    .replaceAll('http://localhost:8233', `http://localhost:${p.uiPort}`);
}

/** The running stack, as the follow-up commands reach it. */
export interface RunningDemo {
  routerUrl: string;
  adminUrl: string;
  legacyUrl: string;
  newUrl: string;
  /** Temporal's gRPC address (`host:port`). */
  temporalAddress: string;
  uiUrl: string;
  adminToken: string;
  /** The token came from `PHOENIX_ADMIN_TOKEN`: the user has it, it is not printed. */
  tokenFromEnv: boolean;
}

/**
 * The demo plan (ports already replaced) made usable from any folder: contract globs and the
 * router's state file resolved against `planDir`, the folder the demo plan was read from, since
 * the copy lives elsewhere. Comments and layout are kept.
 */
export function planForRunningStack(planText: string, planDir: string, stateFile: string): string {
  const doc = parseDocument(planText);
  doc.setIn(['router', 'stateFile'], path.resolve(stateFile));
  const families = doc.get('families');
  const count = (families as { items?: unknown[] } | undefined)?.items?.length ?? 0;
  for (let i = 0; i < count; i++) {
    const globs = doc.getIn(['families', i, 'contracts']) as { items?: { value?: unknown }[] } | undefined;
    for (const item of globs?.items ?? []) {
      if (typeof item.value === 'string' && !path.isAbsolute(item.value))
        item.value = path.join(planDir, item.value).split(path.sep).join('/');
    }
  }
  return doc.toString();
}

/** Writes the plan for the running stack (folders created). */
export async function writeRunningPlan(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

export interface KeepInstructions {
  /** What runs where, for people. */
  summary: string[];
  /** `export NAME=value` lines the commands need, as printed. */
  env: string[];
  /** Follow-up commands, as printed (run from the repository root). */
  commands: string[];
}

/**
 * The lines `--keep` prints: every address, then the environment and the commands that work on
 * this stack as printed. `planFile` is shown relative to `cwd` (where the user runs `npx phoenix`).
 */
export function keepInstructions(
  s: RunningDemo,
  planFile: string,
  cwd: string,
  families: { shadow: string; migrate: string },
): KeepInstructions {
  const rel = path.relative(cwd, planFile);
  const plan = shellWord(rel.startsWith('..') || path.isAbsolute(rel) ? planFile : rel);
  const summary = [
    `router        ${s.routerUrl} (admin API ${s.adminUrl})`,
    `legacy app    ${s.legacyUrl}`,
    `new services  ${s.newUrl}`,
    `Temporal      ${s.temporalAddress}, Web UI ${s.uiUrl}`,
    `plan          ${plan} (these ports)`,
    s.tokenFromEnv ? 'admin token   the PHOENIX_ADMIN_TOKEN of your environment' : `admin token   ${s.adminToken}`,
  ];
  const env = [
    ...(s.tokenFromEnv ? [] : [`export PHOENIX_ADMIN_TOKEN=${shellWord(s.adminToken)}`]),
    `export TEMPORAL_ADDRESS=${shellWord(s.temporalAddress)}`,
  ];
  const commands = [
    'npx phoenix status',
    `npx phoenix route set ${shellWord(families.shadow)} shadow --plan ${plan}`,
    `npx phoenix parity diffs ${shellWord(families.shadow)} --plan ${plan}`,
    `npx phoenix route set ${shellWord(families.shadow)} legacy --plan ${plan}`,
    `npx phoenix start ${shellWord(families.migrate)} --plan ${plan}`,
    `npx phoenix status ${shellWord(families.migrate)} --watch`,
  ];
  return { summary, env, commands };
}
