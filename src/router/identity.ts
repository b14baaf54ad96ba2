/**
 * Identity per side: the credentials each upstream accepts when the two sides do not share one
 * (an independent rewrite with its own JWT secret). A side's headers come from the router's own
 * environment (read once at start) or from a token exchange of the client's credential (an HTTP
 * endpoint or a command), cached per client credential for the exchange's TTL. A header set here
 * replaces the client's; an exchanged credential is not forwarded either. Secrets are never
 * logged or put in error messages.
 */
import { execFile } from 'node:child_process';
import { request } from 'undici';
import { PhoenixError } from '../lib/errors.js';
import type { FamilyPlan, IdentitySidePlan } from '../plan/schema.js';

type Headers = Record<string, string | string[]>;
type ExchangePlan = NonNullable<IdentitySidePlan['headers'][string]['exchange']>;

/** The headers one side gets; a promise only while an exchange for this credential is not cached. */
export interface SideIdentity {
  headers(client: Headers): Headers | Promise<Headers>;
}

/** Identity of a family's two sides; a side without identity is undefined (the client's headers go as they are). */
export interface FamilyIdentity {
  readonly legacy: SideIdentity | undefined;
  readonly new: SideIdentity | undefined;
}

/** Cached exchanged tokens per family and side (most recently used last). */
const MAX_CACHED = 10_000;

/** Exchanges client credentials for tokens, caching each for the TTL and sharing exchanges in flight. */
export class TokenExchange {
  private readonly cache = new Map<string, { token: string; until: number }>();
  private readonly inflight = new Map<string, Promise<string>>();
  readonly plan: ExchangePlan;
  private readonly where: string;

  constructor(plan: ExchangePlan, where: string) {
    this.plan = plan;
    this.where = where;
  }

  /** The cached token for `credential`, or undefined when it must be exchanged. */
  cached(credential: string, now = Date.now()): string | undefined {
    const hit = this.cache.get(credential);
    if (hit === undefined) return undefined;
    if (hit.until > now) return hit.token;
    this.cache.delete(credential);
    return undefined;
  }

  /** The token for `credential`, from the cache or a new exchange. */
  token(credential: string): Promise<string> {
    const hit = this.cached(credential);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.inflight.get(credential);
    if (p === undefined) {
      p = this.run(credential)
        .then((token) => {
          if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
          this.cache.set(credential, { token, until: Date.now() + this.plan.ttl });
          return token;
        })
        .finally(() => this.inflight.delete(credential));
      this.inflight.set(credential, p);
    }
    return p;
  }

  private async run(credential: string): Promise<string> {
    const text =
      this.plan.url !== undefined ? await this.viaHttp(this.plan.url, credential) : await this.viaCommand(credential);
    return this.extract(text);
  }

  private async viaHttp(url: string, credential: string): Promise<string> {
    let r;
    try {
      r = await request(url, {
        method: 'POST',
        headers: { [this.plan.from.toLowerCase()]: credential, accept: 'application/json, text/plain' },
        headersTimeout: this.plan.timeout,
        bodyTimeout: this.plan.timeout,
      });
    } catch (err) {
      throw this.fail(`the exchange endpoint ${url} did not answer (${(err as { code?: string }).code ?? 'error'})`);
    }
    const text = await r.body.text();
    if (r.statusCode < 200 || r.statusCode > 299)
      throw this.fail(`the exchange endpoint ${url} answered ${r.statusCode}`);
    return text;
  }

  private viaCommand(credential: string): Promise<string> {
    const [file, ...args] = this.plan.command as string[];
    return new Promise((resolve, reject) => {
      execFile(
        file as string,
        args,
        {
          timeout: this.plan.timeout,
          maxBuffer: 64 * 1024,
          env: { ...process.env, PHOENIX_CLIENT_CREDENTIAL: credential },
        },
        (err, stdout) => {
          if (err) reject(this.fail(`the exchange command ${file} failed (${err.code ?? err.signal ?? 'error'})`));
          else resolve(stdout);
        },
      );
    });
  }

  private extract(text: string): string {
    const t = text.trim();
    let token: unknown = t;
    if (t.startsWith('{')) {
      try {
        token = (JSON.parse(t) as Record<string, unknown>)[this.plan.field];
      } catch {
        throw this.fail('the exchange answered JSON that does not parse');
      }
    }
    if (typeof token !== 'string' || token === '')
      throw this.fail(`the exchange answered no token (expected a "${this.plan.field}" field or plain text)`);
    return token;
  }

  private fail(why: string): PhoenixError {
    return new PhoenixError('PHX_ERR_IDENTITY_EXCHANGE', `${this.where}: ${why}`);
  }
}

interface ExchangeHeader {
  readonly name: string;
  readonly from: string;
  readonly prefix: string;
  readonly exchange: TokenExchange;
}

class Side implements SideIdentity {
  private readonly fixed: ReadonlyArray<readonly [string, string]>;
  private readonly exchanges: readonly ExchangeHeader[];

  constructor(fixed: Array<[string, string]>, exchanges: ExchangeHeader[]) {
    this.fixed = fixed;
    this.exchanges = exchanges;
  }

  headers(client: Headers): Headers | Promise<Headers> {
    const out: Headers = { ...client };
    for (const [k, v] of this.fixed) out[k] = v;
    let waits: Array<Promise<void>> | undefined;
    for (const x of this.exchanges) {
      const raw = client[x.from];
      delete out[x.from];
      delete out[x.name];
      if (raw === undefined) continue;
      const credential = typeof raw === 'string' ? raw : raw.join(', ');
      const hit = x.exchange.cached(credential);
      if (hit !== undefined) out[x.name] = x.prefix + hit;
      else
        (waits ??= []).push(
          x.exchange.token(credential).then((t) => {
            out[x.name] = x.prefix + t;
          }),
        );
    }
    return waits === undefined ? out : Promise.all(waits).then(() => out);
  }
}

function buildSide(
  family: string,
  side: 'legacy' | 'new',
  plan: IdentitySidePlan | undefined,
  env: NodeJS.ProcessEnv,
): SideIdentity | undefined {
  if (plan === undefined) return undefined;
  const fixed: Array<[string, string]> = [];
  const exchanges: ExchangeHeader[] = [];
  for (const [header, src] of Object.entries(plan.headers)) {
    const name = header.toLowerCase();
    const where = `family "${family}" identity.${side}.headers.${header}`;
    if (src.env !== undefined) {
      const v = env[src.env];
      if (v === undefined || v === '')
        throw new PhoenixError(
          'PHX_ERR_IDENTITY_ENV_MISSING',
          `${where}: the environment variable ${src.env} is not set; set it in the router's environment (the ${side} side's credential)`,
          { family, side, variable: src.env },
        );
      fixed.push([name, src.prefix + v]);
    } else if (src.exchange !== undefined) {
      exchanges.push({
        name,
        from: src.exchange.from.toLowerCase(),
        prefix: src.prefix,
        exchange: new TokenExchange(src.exchange, `${where} exchange`),
      });
    }
  }
  return fixed.length === 0 && exchanges.length === 0 ? undefined : new Side(fixed, exchanges);
}

/**
 * Builds a family's identity from its plan and the environment.
 * @throws PhoenixError `PHX_ERR_IDENTITY_ENV_MISSING` naming the variable a header needs.
 */
export function buildIdentity(plan: FamilyPlan, env: NodeJS.ProcessEnv = process.env): FamilyIdentity {
  return {
    legacy: buildSide(plan.name, 'legacy', plan.identity.legacy, env),
    new: buildSide(plan.name, 'new', plan.identity.new, env),
  };
}

const built = new WeakMap<FamilyPlan, FamilyIdentity>();

/**
 * The identity of a family, built once per plan object so the proxy and the mirror share one
 * token cache. Call at router start, so a missing variable stops the start.
 * @throws PhoenixError `PHX_ERR_IDENTITY_ENV_MISSING`
 */
export function identityFor(plan: FamilyPlan): FamilyIdentity {
  let id = built.get(plan);
  if (id === undefined) built.set(plan, (id = buildIdentity(plan)));
  return id;
}
