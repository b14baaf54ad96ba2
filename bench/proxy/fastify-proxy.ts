/**
 * Peer: @fastify/http-proxy (reply-from over undici) with its defaults, logger off, upstream
 * keep-alive. Run: `node --import tsx bench/proxy/fastify-proxy.ts --origin URL [--port 0]`;
 * prints `READY <port>`.
 */
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';
import type { AddressInfo } from 'node:net';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

async function run(): Promise<void> {
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  await app.register(proxy, {
    upstream: arg('origin', 'http://127.0.0.1:3000'),
    undici: { connections: Number(arg('connections', '32')), pipelining: 1, keepAliveTimeout: 60_000 },
  });
  await app.listen({ port: Number(arg('port', '0')), host: '127.0.0.1' });
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
