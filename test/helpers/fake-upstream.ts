/**
 * A real HTTP server standing in for an upstream (legacy, new, an OpenAPI host, a busy port) on a
 * port the OS picks, so files running side by side never collide.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  port: number;
  server: http.Server;
  /** Ends its open connections (idle keep-alive ones too) and stops listening; safe to call twice. */
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 on a free port; close it in the test's `after` or `finally`. */
export async function fakeUpstream(handler: http.RequestListener): Promise<FakeUpstream> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, server, close: closerOf(server) };
}

/** Ends a server's open connections (idle keep-alive ones too) and stops it listening; the same promise on every call. */
export function closerOf(server: http.Server): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
}

/** Answers `body` as JSON, with its length, so keep-alive clients reuse the connection. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
