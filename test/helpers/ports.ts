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

/** Below Linux's ephemeral range (32768–60999), where the kernel never picks a connection's own port. */
const RESTARTABLE = { from: 20_000, to: 32_767 };

/**
 * A free TCP port on 127.0.0.1 for a server a test stops and starts again on the same port. A port
 * from {@link freePort} is in the ephemeral range: while its server is down, any outgoing
 * connection on the machine may take it as its own port, and the restart fails with `EADDRINUSE`.
 */
export async function restartablePort(): Promise<number> {
  for (;;) {
    const port = RESTARTABLE.from + Math.floor(Math.random() * (RESTARTABLE.to - RESTARTABLE.from + 1));
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
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
