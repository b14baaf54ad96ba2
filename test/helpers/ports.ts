import net from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A backend that never answers, from {@link silentUpstream}. */
export interface SilentUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * A backend that never answers: it resets every connection. Unlike a port that was free a moment
 * ago, it keeps its port, so another test running beside this one cannot take it and answer there.
 */
export function silentUpstream(): Promise<SilentUpstream> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((socket) => socket.resetAndDestroy());
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) });
    });
  });
}
