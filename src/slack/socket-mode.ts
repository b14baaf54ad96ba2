/**
 * Slack approvals over Socket Mode, for teams without a public URL: Phoenix opens the WebSocket
 * (`apps.connections.open` with the app-level token) and Slack sends clicks, modal submits and
 * `/phoenix` commands down it. The connection itself is authenticated by the app token, so there
 * is no request signature; who may approve is checked exactly as for the HTTP receiver, and
 * button values still carry their HMAC.
 */
import { SocketModeClient, LogLevel } from '@slack/socket-mode';
import type { Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import { createLogger, type Logger } from '../lib/logger.js';
import type { Plan } from '../plan/schema.js';
import { createInteractionHandler } from './interactions.js';

export interface SocketModeOptions {
  /** App-level token (`xapp-…`, scope `connections:write`). */
  appToken: string;
  temporal: Client;
  /** Bot-token client for ephemeral refusals, the reason modal and email lookups. */
  web: WebClient;
  plan: Plan;
  /** Secret the approval buttons were signed with. */
  buttonSecret: string;
  /** Another Web API base URL (proxies, tests). @default Slack's */
  apiUrl?: string;
  logger?: Logger;
}

export interface RunningSocketMode {
  close(): Promise<void>;
}

interface Envelope {
  body: unknown;
  ack: (response?: Record<string, unknown>) => Promise<void>;
}

/** Connects to Slack and handles interactivity until closed; resolves once connected. */
export async function startSocketMode(o: SocketModeOptions): Promise<RunningSocketMode> {
  const log = o.logger ?? createLogger('slack');
  const handler = createInteractionHandler({
    temporal: o.temporal,
    web: o.web,
    plan: o.plan,
    buttonSecret: o.buttonSecret,
    logger: log,
  });
  const client = new SocketModeClient({
    appToken: o.appToken,
    logLevel: LogLevel.ERROR,
    clientOptions: o.apiUrl ? { slackApiUrl: o.apiUrl } : {},
  });
  const later = handler.later;

  client.on('interactive', ({ body, ack }: Envelope) => {
    const type = (body as { type?: unknown } | null)?.type;
    if (type === 'view_submission') {
      // The modal waits for the answer (errors keep it open), so the update runs before the ack.
      later(handler.onViewSubmission(body).then((answer) => ack(answer)));
      return;
    }
    // Acknowledge first, as over HTTP: Slack wants the ack within 3 s.
    later(ack());
    if (type === 'block_actions') later(handler.onBlockActions(body));
  });
  client.on('slash_commands', ({ body, ack }: Envelope) => {
    const text = (body as { text?: unknown } | null)?.text;
    later(handler.onCommand(typeof text === 'string' ? text : '').then((answer) => ack(answer)));
  });

  await client.start();
  log.info('Slack Socket Mode connected');
  return {
    async close() {
      await client.disconnect();
      await handler.drain();
    },
  };
}
