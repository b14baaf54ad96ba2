/**
 * Follows a file nginx appends to, line by line: from its end at start, woken by inotify
 * (`fs.watch`) with a slow poll beside it for what inotify misses (rotation, network file
 * systems). A rotated-in or truncated file is read from its start.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { PhoenixError } from '../lib/errors.js';

export interface LogTailOptions {
  /** Called with each complete line, in file order. */
  onLine(line: string): void;
  /** Poll interval beside inotify. @default 250 (ms) */
  pollMs?: number;
}

/** A running tail; {@link LogTail.close} stops it. */
export interface LogTail {
  /** Reads whatever was appended since the last read (resolves once it is handed to `onLine`). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** The open error as a Phoenix error naming the file and what to check. */
function unreadable(file: string, err: unknown): PhoenixError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'it does not exist (nginx creates it when it loads the rendered include: has the route been applied, and is nginx running?)'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied (Phoenix must be able to read the file nginx writes)'
        : code === 'EISDIR' || code === 'ENOTFILE'
          ? 'it is not a regular file'
          : String(err);
  return new PhoenixError(
    'PHX_ERR_NGINX_ACCESS_LOG',
    `cannot read nginx's access log (dataPlane.accessLog "${file}"): ${why}`,
    { file, code },
  );
}

/**
 * Opens `file` and follows it from its current end.
 * @throws `PHX_ERR_NGINX_ACCESS_LOG` when the file is missing, unreadable or not a regular file
 */
export async function tailLog(file: string, o: LogTailOptions): Promise<LogTail> {
  let fh: FileHandle;
  let ino: number;
  let pos: number;
  try {
    fh = await open(file, 'r');
    const s = await fh.stat();
    if (!s.isFile()) {
      await fh.close();
      throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    }
    ino = s.ino;
    pos = s.size;
  } catch (err) {
    throw unreadable(file, err);
  }
  const buf = Buffer.allocUnsafe(256 * 1024);
  let rest = '';
  let closed = false;
  let reading: Promise<void> | undefined;
  let again = false;

  async function readOnce(): Promise<void> {
    // A new file under the name (rotation) or a shorter one (truncation): start it from the top.
    // A rotated-in file is taken once it has data: until nginx reopens its logs (USR1, `nginx -s
    // reopen`), it keeps writing to the old one, which is read to its end first.
    const s = await stat(file).catch(() => undefined);
    if (s !== undefined && s.ino !== ino && s.size > 0) {
      const next = await open(file, 'r');
      // Finish the old file first: nginx wrote to it until it reopened its logs.
      await readAvailable();
      await fh.close();
      fh = next;
      ino = (await fh.stat()).ino;
      pos = 0;
      rest = '';
      rewatch();
    } else if (s !== undefined && s.ino === ino && s.size < pos) {
      pos = 0;
      rest = '';
    }
    await readAvailable();
  }

  async function readAvailable(): Promise<void> {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      const text = rest + buf.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l !== '') o.onLine(l);
    }
  }

  function drain(): Promise<void> {
    if (closed) return Promise.resolve();
    if (reading !== undefined) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        await readOnce().catch(() => undefined);
      } while (again && !closed);
      reading = undefined;
    })();
    return reading;
  }

  let watcher: FSWatcher | undefined;
  function rewatch(): void {
    watcher?.close();
    try {
      watcher = watch(file, { persistent: false }, () => void drain());
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // the poll carries on alone
    }
  }
  rewatch();
  const timer = setInterval(() => void drain(), o.pollMs ?? 250);
  timer.unref();

  return {
    drain,
    close: async () => {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      await reading;
      await fh.close();
    },
  };
}
