/**
 * Starts Slack's inbound side from the environment's settings: the HTTP receiver (needs
 * `SLACK_SIGNING_SECRET` and a port Slack can reach) or Socket Mode (needs `SLACK_APP_TOKEN`).
 * Used by `phoenix slack serve` and by `phoenix worker --slack-plan`.
 */
import type { Client } from '@temporalio/client';
import { PhoenixError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Plan } from '../plan/schema.js';
import type { SlackSettings } from './env.js';

export interface SlackInboundOptions {
  settings: SlackSettings;
  plan: Plan;
  temporal: Client;
  /** `socket` (Socket Mode) or `http` (the receiver on `port`). */
  mode: 'socket' | 'http';
  /** HTTP receiver port. @default 3000 */
  port?: number;
  /** HTTP receiver bind address. @default 127.0.0.1 */
  host?: string;
  logger?: Logger;
}

export interface RunningSlackInbound {
  /** What runs, in words, for the start-up line. */
  description: string;
  close(): Promise<void>;
}

/**
 * @throws PhoenixError `PHX_ERR_SLACK_OFF` when the settings the mode needs are missing.
 */
export async function startSlackInbound(o: SlackInboundOptions): Promise<RunningSlackInbound> {
  const { settings } = o;
  if (!settings.enabled || !settings.web)
    throw new PhoenixError(
      'PHX_ERR_SLACK_OFF',
      `Slack is off: ${settings.reason ?? 'no bot token'}; set SLACK_BOT_TOKEN`,
    );
  if (o.mode === 'socket') {
    if (!settings.appToken)
      throw new PhoenixError(
        'PHX_ERR_SLACK_OFF',
        'Socket Mode needs SLACK_APP_TOKEN (an app-level token with connections:write)',
      );
    const { startSocketMode } = await import('./socket-mode.js');
    const sm = await startSocketMode({
      appToken: settings.appToken,
      temporal: o.temporal,
      web: settings.web,
      plan: o.plan,
      buttonSecret: settings.buttonSecret ?? settings.appToken,
      apiUrl: settings.apiUrl,
      logger: o.logger,
    });
    return { description: 'Slack Socket Mode connected (no public URL needed)', close: () => sm.close() };
  }
  if (!settings.signingSecret)
    throw new PhoenixError(
      'PHX_ERR_SLACK_OFF',
      'SLACK_SIGNING_SECRET is not set; the HTTP receiver refuses to run without verifying requests (or use Socket Mode with SLACK_APP_TOKEN)',
    );
  const { startSlackReceiver } = await import('./receiver.js');
  const r = await startSlackReceiver({
    port: o.port ?? 3000,
    host: o.host,
    signingSecret: settings.signingSecret,
    buttonSecret: settings.buttonSecret,
    temporal: o.temporal,
    web: settings.web,
    plan: o.plan,
    logger: o.logger,
  });
  return {
    description: `Slack receiver on ${r.url}/slack/interactivity and ${r.url}/slack/commands`,
    close: () => r.close(),
  };
}
