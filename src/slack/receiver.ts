/**
 * The Slack interactivity receiver over HTTP: verifies every request's signature before anything
 * else, then hands the interaction to the handler (`interactions.ts`). Slack gets its answer
 * within its 3-second limit.
 *
 *   POST /slack/interactivity   buttons (approve, reject → reason modal) and the modal's submit
 *   POST /slack/commands        `/phoenix status <family>`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import { createLogger, type Logger } from '../lib/logger.js';
import { readBody } from '../lib/read-body.js';
import type { Plan } from '../plan/schema.js';
import { createInteractionHandler } from './interactions.js';
import { verifySlackRequest } from './verify.js';

export type { Outcome } from './interactions.js';

/** Largest request body accepted from Slack, bytes. */
const MAX_BODY = 256 * 1024;

export interface SlackReceiverOptions {
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  signingSecret: string;
  temporal: Client;
  web: WebClient;
  plan: Plan;
  /** Secret the approval buttons were signed with. @default the signing secret */
  buttonSecret?: string;
  logger?: Logger;
}

export interface RunningSlackReceiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTP receiver. */
export async function startSlackReceiver(o: SlackReceiverOptions): Promise<RunningSlackReceiver> {
  const log = o.logger ?? createLogger('slack');
  const handler = createInteractionHandler({ ...o, logger: log, buttonSecret: o.buttonSecret ?? o.signingSecret });
  const server = http.createServer((req, res) => {
    const reply = (status: number, body?: unknown): void => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.method !== 'POST' || (req.url !== '/slack/interactivity' && req.url !== '/slack/commands'))
      return reply(404, { error: 'not found' });
    readBody(req, MAX_BODY, () => new Error('body too large')).then(
      async (raw) => {
        const v = verifySlackRequest(
          o.signingSecret,
          { signature: req.headers['x-slack-signature'], timestamp: req.headers['x-slack-request-timestamp'] },
          raw,
        );
        if (!v.ok) {
          log.warn(
            { path: req.url, remote: req.socket.remoteAddress, reason: v.reason },
            'refused an unsigned or badly signed Slack request',
          );
          return reply(401, { error: 'invalid signature' });
        }
        const form = new URLSearchParams(raw);
        if (req.url === '/slack/commands') return reply(200, await handler.onCommand(form.get('text') ?? ''));
        let payload: unknown;
        try {
          payload = JSON.parse(form.get('payload') ?? '');
        } catch {
          log.warn('refused a Slack request without a JSON payload');
          return reply(400, { error: 'payload is not JSON' });
        }
        const type = (payload as { type?: string }).type;
        if (type === 'view_submission') {
          // The modal waits for this answer, so the update runs before replying (well within 3 s).
          const body = await handler.onViewSubmission(payload);
          return reply(200, body);
        }
        // Acknowledge first: Slack wants an answer within 3 s, the update may take longer.
        reply(200);
        if (type === 'block_actions') handler.later(handler.onBlockActions(payload));
      },
      () => reply(413, { error: 'body too large' }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await handler.drain();
    },
  };
}
