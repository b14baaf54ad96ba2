/**
 * The yardstick: the leanest reasonable undici proxy. node:http server, one undici `Pool` to the
 * origin with keep-alive, `pool.stream()` writing the upstream body straight into the response.
 * TARGETS.md gates the router's CPU per request at ≤ 1.1× this process, measured in the same run.
 *
 * Run: `node --import tsx bench/proxy/lean-undici.ts --origin http://127.0.0.1:PORT [--port 0]`;
 * prints `READY <port>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    origin: { type: 'string', default: 'http://127.0.0.1:3000' },
    connections: { type: 'string', default: '32' },
    port: { type: 'string', default: '0' },
  },
});
const origin = args.origin;
const pool = new Pool(origin, {
  connections: Number(args.connections),
  pipelining: 1,
  keepAliveTimeout: 60_000,
});

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function strip(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !HOP.has(k)) out[k] = v;
  }
  return out;
}

function factory({
  statusCode,
  headers,
  opaque: res,
}: Dispatcher.StreamFactoryData<http.ServerResponse>): http.ServerResponse {
  res.writeHead(statusCode, strip(headers as Record<string, string | string[] | undefined>));
  return res;
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const method = req.method as Dispatcher.HttpMethod;
  pool.stream<http.ServerResponse>(
    {
      path: req.url as string,
      method,
      headers: strip(req.headers),
      body: method === 'GET' || method === 'HEAD' ? null : req,
      opaque: res,
    },
    factory,
    (err) => {
      if (err === null) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway');
      } else res.destroy(err);
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
