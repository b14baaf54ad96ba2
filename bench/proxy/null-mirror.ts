/**
 * A mirror target that does nothing: answers every request `204` at once, as the comparator
 * answers nginx's mirrors, without comparing anything. `bench:nginx-cpu --null-mirror` points a
 * third Phoenix nginx in shadow at it, to tell what nginx's `mirror` costs the client apart from
 * what the comparator's work on the load's core does.
 *
 * Run as its own process: `node --import tsx bench/proxy/null-mirror.ts`; prints `READY <port>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer({ keepAliveTimeout: 75_000 }, (req, res) => {
  res.writeHead(204);
  res.end();
  req.resume();
});
server.headersTimeout = 80_000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
