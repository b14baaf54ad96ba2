/**
 * Benchmark origin: node:http with keep-alive, answering `GET /api/bench/small` (≈300 B JSON) and
 * `GET /api/bench/large` (64 KB JSON) from precomputed buffers. `GET /__count` returns how many
 * benchmark requests it has served (the shadow check reads it from the mirror origin).
 *
 * Run as its own process: `node --import tsx bench/proxy/origin.ts [--port 0]`; prints `READY <port>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PATHS, makeBodies } from './bodies.js';

const bodies = makeBodies();
const small = bodies.small;
const large = bodies.large;
const smallLen = String(small.byteLength);
const largeLen = String(large.byteLength);
let served = 0;

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const url = req.url;
  if (url === PATHS.small) {
    served++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': smallLen });
    res.end(small);
  } else if (url === PATHS.large) {
    served++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': largeLen });
    res.end(large);
  } else if (url === '/__count') {
    const body = JSON.stringify({ served });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  }
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.maxRequestsPerSocket = 0;

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
