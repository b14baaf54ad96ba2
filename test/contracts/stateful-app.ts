/**
 * A small stateful API for contract tests, started twice (legacy and new): reset, login → token,
 * create → id, get by id, list, delete, and an admin endpoint behind an API key. Each side issues
 * its own tokens and ids (random UUIDs), so a token or id sent to the wrong side is refused.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';

export interface StoreApp {
  url: string;
  /** `METHOD /path` of every request, in arrival order. */
  seen: string[];
  /** The items, by id. */
  items: Map<string, { id: string; name: string }>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The API key `/admin/stats` accepts in `x-api-key`. */
  apiKey: string;
  /** A long-lived token accepted besides login tokens (a service account). */
  serviceToken?: string;
  /** Adds a field to `/admin/stats` (a difference the run must flag). */
  extraStatsField?: boolean;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStore(o: StoreOptions): Promise<StoreApp> {
  const items = new Map<string, { id: string; name: string }>();
  const tokens = new Set<string>();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      seen.push(`${method} ${url.pathname}`);
      const text = await readBody(req);
      const send = (status: number, body?: unknown): void => {
        if (body === undefined) {
          res.writeHead(status);
          res.end();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let json: Record<string, unknown>;
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return send(400, { error: 'bad json' });
      }
      const authed = (): boolean => {
        const h = req.headers.authorization ?? '';
        return h.startsWith('Bearer ') && (tokens.has(h.slice(7)) || h.slice(7) === o.serviceToken);
      };
      if (method === 'POST' && url.pathname === '/reset') {
        items.clear();
        tokens.clear();
        return send(204);
      }
      if (method === 'POST' && url.pathname === '/login') {
        if (typeof json.user !== 'string') return send(422, { error: 'user is required' });
        if (json.password !== 'pw') return send(401, { error: 'wrong password' });
        const token = randomUUID();
        tokens.add(token);
        return send(200, { token });
      }
      if (url.pathname === '/admin/stats') {
        if (req.headers['x-api-key'] !== o.apiKey) return send(403, { error: 'forbidden' });
        return send(200, { items: items.size, ...(o.extraStatsField ? { version: 2 } : {}) });
      }
      if (!url.pathname.startsWith('/items')) return send(404, { error: 'not found' });
      if (!authed()) return send(401, { error: 'login first' });
      const id = url.pathname.split('/')[2];
      if (method === 'POST' && id === undefined) {
        const item = { id: randomUUID(), name: String(json.name) };
        items.set(item.id, item);
        return send(201, item);
      }
      if (method === 'GET' && id === undefined) return send(200, { count: items.size });
      const item = id === undefined ? undefined : items.get(id);
      if (!item) return send(404, { error: 'no such item' });
      if (method === 'GET') return send(200, item);
      if (method === 'DELETE') {
        items.delete(item.id);
        return send(204);
      }
      return send(405, { error: 'method not allowed' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    items,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
