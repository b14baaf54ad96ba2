/**
 * HTTPS upstreams for tests: a self-signed certificate for 127.0.0.1 made with the openssl CLI (no
 * key is kept in the repository), and a real HTTPS server answering with it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { closerOf } from './fake-upstream.js';

export interface TestCert {
  /** The certificate's PEM file: also the CA file that trusts it (it signs itself). */
  certFile: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for `127.0.0.1`, written to `dir` as `<name>.pem` (`name` is its organization). */
export async function selfSignedCert(dir: string, name: string): Promise<TestCert> {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/O=${name}/CN=127.0.0.1`,
    '-addext',
    // nginx checks an upstream's certificate by host name (X509_check_host), so the address is a
    // DNS name too; clients that check IP addresses read the IP entry.
    'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1',
  ]);
  return { certFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

export interface HttpsUpstream {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** Each request's method, URL and `Host`. */
  seen: string[];
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 with `tls`'s certificate, answering `{ side }` as JSON. */
export async function httpsUpstream(side: string, tls: TestCert): Promise<HttpsUpstream> {
  const seen: string[] = [];
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ side }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, seen, close: closerOf(server) };
}
