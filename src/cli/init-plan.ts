/**
 * The text `phoenix init` writes: a commented starter plan (block-style YAML) and one contract
 * case skeleton per family. Pure: the command gathers the endpoints and writes the files.
 */
import { APPROVER_PLACEHOLDER } from '../plan/schema.js';
import type { InventoryEndpoint, ProposedFamily } from '../contracts/inventory.js';

/** A family of the starter plan. */
export interface InitFamily extends ProposedFamily {
  /** Legacy endpoints of the family the new service does not have yet: left out of `routes`. */
  missingInNew: string[];
}

/** What the starter plan is made of. */
export interface InitPlanInput {
  name: string;
  legacy: string;
  new: string;
  /** Where the routes came from, for the header comment (`examples/app.py (Flask URL map)`). */
  legacySource: string;
  /** Where the OpenAPI document came from. */
  openApiSource: string;
  /** How endpoints were grouped. */
  groupBy: 'blueprint' | 'prefix';
  router: { publicUrl: string; adminUrl: string; stateFile: string };
  /** Who may approve; empty writes {@link APPROVER_PLACEHOLDER}, which validation refuses. */
  approvers: readonly string[];
  families: readonly InitFamily[];
  /** Endpoints of groups the new service has none of: not in any family, they stay on legacy. */
  notInNew: readonly InventoryEndpoint[];
  /** The contract glob of each family (relative to the plan). */
  contractsGlob: (family: string) => string;
}

/** A YAML double-quoted scalar (JSON's string syntax is valid YAML). */
const q = (s: string): string => JSON.stringify(s);

/** The starter plan's text. */
export function initPlanText(i: InitPlanInput): string {
  const out: string[] = [
    `# Phoenix migration plan, started by \`phoenix init\`. Edit freely: every field and its default`,
    `# is in docs/plan-reference.md; \`phoenix plan validate <this file>\` checks it.`,
    `#   legacy routes from: ${i.legacySource}`,
    `#   new service from:   ${i.openApiSource}`,
    `version: 1`,
    `name: ${i.name}`,
    `# The legacy app: requests that match no family go here, and so does every family until it moves.`,
    `legacy: ${q(i.legacy)}`,
    `router:`,
    `  # Where clients reach the router (put it in front of the legacy app), and its admin API`,
    `  # (used by the worker and \`phoenix route set\`; bearer token PHOENIX_ADMIN_TOKEN).`,
    `  publicUrl: ${q(i.router.publicUrl)}`,
    `  adminUrl: ${q(i.router.adminUrl)}`,
    `  # The router's routing state (relative to where the router runs).`,
    `  stateFile: ${q(i.router.stateFile)}`,
    `# Who may approve ramps and cutovers (CLI user names, Slack user ids U…, or emails).`,
  ];
  if (i.approvers.length === 0)
    out.push(
      `# REPLACE the placeholder below: \`phoenix plan validate\` refuses the plan until you do.`,
      `approvers:`,
      `  - ${q(APPROVER_PLACEHOLDER)}`,
    );
  else out.push(`approvers:`, ...i.approvers.map((a) => `  - ${q(a)}`));
  if (i.notInNew.length > 0)
    out.push(
      `# Legacy endpoints the new service does not have yet; they are in no family and stay on legacy:`,
      ...i.notInNew.map((e) => `#   ${e.method} ${e.path}`),
    );
  out.push(
    `# Families: the endpoints that move together, grouped by ${i.groupBy === 'blueprint' ? 'Flask blueprint (else the first path segment after /api or /vN)' : 'the first path segment after /api or /vN'}.`,
    `# Split or merge them freely; a request belongs to the family with the most specific pattern.`,
    `# Each family takes the defaults for parity, ramp (1, 5, 25, 50, 100%; approval before the ramp`,
    `# starts and at 100%), slo and guard. Fields that differ on purpose (generated timestamps,`,
    `# request ids) go in a family's \`diff:\` → \`ignore:\` list of JSON paths such as "$.meta.generated_at".`,
    `families:`,
  );
  for (const f of i.families) {
    out.push(`  - name: ${f.name}`, `    routes:`, ...f.routes.map((r) => `      - ${q(r)}`));
    if (f.missingInNew.length > 0)
      out.push(
        `    # Not in the new service yet (add them to routes once it has them):`,
        ...f.missingInNew.map((r) => `    #   - ${q(r)}`),
      );
    out.push(
      `    new: ${q(i.new)}`,
      `    # Contract cases: requests answered the same way by legacy and new (docs/contracts.md).`,
      `    contracts:`,
      `      - ${q(i.contractsGlob(f.name))}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** Concrete paths have no `:param` or `*` segment: a skeleton can send them as they are. */
function isConcrete(path: string): boolean {
  return !path.split('/').some((s) => s.startsWith(':') || s === '*');
}

/**
 * A contract case file for a family: a case for each GET route without parameters, the others
 * commented out with their parameters to fill in. Undefined when no route can be sent as it is
 * (a case file with no case would say nothing).
 */
export function caseSkeletonText(f: ProposedFamily): string | undefined {
  const routes = f.routes.map((r) => {
    const [method, path] = r.split(' ', 2) as [string, string];
    return { method, path };
  });
  const ready = routes.filter((r) => r.method === 'GET' && isConcrete(r.path));
  if (ready.length === 0) return undefined;
  const rest = routes.filter((r) => !ready.includes(r));
  const out = [
    `# Contract cases for the "${f.name}" family, started by \`phoenix init\`. Each request is sent to`,
    `# legacy and to new and the answers are compared under the family's diff rules; \`expect\``,
    `# adds checks on status, headers or a JSON Schema (docs/contracts.md). Record more from traffic`,
    `# with \`phoenix contracts record\`.`,
    `family: ${f.name}`,
    `cases:`,
    ...ready.flatMap((r) => [
      `  - name: ${q(`${r.method} ${r.path}`)}`,
      `    request:`,
      `      method: ${r.method}`,
      `      path: ${q(r.path)}`,
      `    expect:`,
      `      status: 200`,
    ]),
  ];
  if (rest.length > 0)
    out.push(
      `  # These need real values (parameters, request bodies): uncomment and fill in.`,
      ...rest.flatMap((r) => [
        `  # - name: ${q(`${r.method} ${r.path}`)}`,
        `  #   request:`,
        `  #     method: ${r.method}`,
        `  #     path: ${q(r.path)}`,
        ...(r.method === 'GET' || r.method === 'DELETE' ? [] : [`  #     body:`, `  #       field: value`]),
      ]),
    );
  return `${out.join('\n')}\n`;
}
