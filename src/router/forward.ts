/**
 * Streams one upstream answer into the client's response as an undici dispatch handler: headers
 * are read once from undici's raw list straight into what the client gets, chunks go to the
 * response as they arrive (undici's socket pauses while the client is slow), and a client that
 * hangs up aborts the upstream request. Subclasses in `answers.ts` decide what an answer means
 * (statistics, guard, fallback, shadow capture). Which header fields cross is `forward-headers.ts`.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

const kForward = Symbol('phoenix.forward');
type TrackedResponse = ServerResponse & { [kForward]?: Forward };

/**
 * One listener shared by every response, so a request costs no closure (EventEmitter calls it
 * with the response as `this`); the response points at the attempt currently writing to it.
 */
function onResponseClose(this: TrackedResponse): void {
  this[kForward]?.clientClosed();
}

/** Base of the router's dispatch handlers: one per upstream attempt. */
export abstract class Forward implements Dispatcher.DispatchHandler {
  protected readonly res: ServerResponse;
  /** Status of the upstream answer; 0 until its headers arrive. */
  protected status = 0;
  /** The answer is being written to the client (headers sent). */
  protected streaming = false;
  /** The client went away before the answer was complete. */
  protected clientGone = false;
  /** The upstream's reason phrase, passed on unchanged (an empty one too). */
  private reason: string | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private done = false;

  constructor(res: ServerResponse) {
    this.res = res;
    // A retry on legacy can start after the client already left.
    if (res.destroyed) this.clientGone = true;
    else {
      (res as TrackedResponse)[kForward] = this;
      res.on('close', onResponseClose);
    }
  }

  /** The client's connection closed; aborts the upstream request unless the answer is complete. @internal */
  clientClosed(): void {
    if (this.done) return;
    this.clientGone = true;
    this.abort?.();
  }

  /** Decides what to do with the answer's head; call {@link stream} to send it to the client. */
  protected abstract head(status: number, raw: Buffer[]): void;
  /** Every chunk of the answer (also those not streamed). */
  protected chunk(_chunk: Buffer): void {}
  /** The whole answer arrived. */
  protected abstract complete(): void;
  /** The attempt failed; `status` tells whether headers had arrived. */
  protected abstract failed(err: Error): void;

  /** Writes the answer's head to the client; its body follows. */
  protected stream(status: number, headers: Record<string, string | string[]>): void {
    if (this.reason === undefined) this.res.writeHead(status, headers);
    else this.res.writeHead(status, this.reason, headers);
    this.streaming = true;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.clientGone) abort();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText?: string): boolean {
    if (status < 200) return true;
    this.status = status;
    this.reason = statusText;
    this.resume = resume;
    this.head(status, raw);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunk(chunk);
    if (!this.streaming) return true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume!);
    return false;
  }

  onComplete(): void {
    this.finish();
    if (this.streaming) this.res.end();
    this.complete();
  }

  onError(err: Error): void {
    this.finish();
    this.failed(err);
  }

  private finish(): void {
    this.done = true;
    const res = this.res as TrackedResponse;
    res.off('close', onResponseClose);
    if (res[kForward] === this) res[kForward] = undefined;
  }
}
