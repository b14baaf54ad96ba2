/**
 * Peer: @fastify/http-proxy (reply-from over undici) with its defaults, logger off, upstream
 * keep-alive. Run: `node --import tsx bench/proxy/fastify-proxy.ts --origin URL [--port 0]`;
 * prints `READY <port>`.
 */
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    origin: { type: 'string', default: 'http://127.0.0.1:3000' },
    connections: { type: 'string', default: '32' },
    port: { type: 'string', default: '0' },
  },
});

async function run(): Promise<void> {
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  await app.register(proxy, {
    upstream: args.origin,
    undici: { connections: Number(args.connections), pipelining: 1, keepAliveTimeout: 60_000 },
  });
  await app.listen({ port: Number(args.port), host: '127.0.0.1' });
  process.stdout.write(`READY ${(app.server.address() as AddressInfo).port}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

run().catch((err: unknown) => {
  process.stderr.write(`fastify-proxy: ${String(err)}\n`);
  process.exit(1);
});
