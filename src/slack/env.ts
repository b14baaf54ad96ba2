/**
 * Slack settings from the environment only: `SLACK_BOT_TOKEN` (posting), `SLACK_SIGNING_SECRET`
 * (verifying clicks), `SLACK_APP_TOKEN` (Socket Mode) and `PHOENIX_SLACK_API_URL` (another Web
 * API base URL, for proxies and tests). Tokens are never logged.
 */
import slackWebApi, { WebClient } from '@slack/web-api';

export interface SlackSettings {
  /** True when Phoenix can post to Slack. */
  enabled: boolean;
  /** Why Slack is off, in words. */
  reason?: string;
  web?: WebClient;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  /**
   * Signs approval buttons (the receiver checks the HMAC): the signing secret, or the app token
   * when only Socket Mode is set up. Worker and receiver read the same variables.
   */
  buttonSecret?: string;
}

export function slackFromEnv(env: NodeJS.ProcessEnv = process.env): SlackSettings {
  const token = env.SLACK_BOT_TOKEN;
  const signingSecret = env.SLACK_SIGNING_SECRET || undefined;
  const appToken = env.SLACK_APP_TOKEN || undefined;
  const apiUrl = env.PHOENIX_SLACK_API_URL || undefined;
  const buttonSecret = signingSecret ?? appToken;
  if (!token)
    return { enabled: false, reason: 'SLACK_BOT_TOKEN is not set', signingSecret, appToken, apiUrl, buttonSecret };
  const web = new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    // Rate limits are retried by the client; other failures surface so the activity retries.
    retryConfig: slackWebApi.retryPolicies.fiveRetriesInFiveMinutes,
    rejectRateLimitedCalls: false,
  });
  return { enabled: true, web, signingSecret, appToken, apiUrl, buttonSecret };
}
