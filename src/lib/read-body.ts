/** Reading a small request body whole (admin API, Slack receiver), with a size limit. */
import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body as UTF-8 text, at most `maxBytes`. A larger body rejects with the error
 * `tooLarge` builds: at once when `content-length` declares it (`declaredBytes` is then that
 * length), else as soon as the bytes read pass the limit (the request is then destroyed).
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: (declaredBytes: number | undefined) => Error,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) return reject(tooLarge(declared));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(tooLarge(undefined));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
