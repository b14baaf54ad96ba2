/**
 * A local stand-in for Slack's Web API (the one stand-in the suite allows), and signed requests to
 * Phoenix's Slack receiver as Slack would send them.
 */
import http from 'node:http';
import { after, before } from 'node:test';
import { WebClient } from '@slack/web-api';
import { request } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Plan } from '../../src/plan/index.js';
import { startSlackReceiver, type RunningSlackReceiver } from '../../src/slack/receiver.js';
import { slackSignature } from '../../src/slack/verify.js';
import { testTemporal, type TestTemporal } from './temporal.js';

/** The signing secret the suite's receivers are started with. */
export const SECRET = 'test-signing-secret';

export interface Call {
  method: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeSlack {
  url: string;
  calls: Call[];
  failPosts: number;
  /** Sends a Socket Mode envelope down the open WebSocket; resolves with the client's ack payload. */
  envelope(type: 'interactive' | 'slash_commands', payload: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Slack's Web API, played by a local server: records calls, can fail the first N postMessage
 * calls, and plays Socket Mode (`apps.connections.open` hands out its own WebSocket URL, which
 * says hello and carries envelopes and acks as Slack's does).
 */
export async function fakeSlack(): Promise<FakeSlack> {
  const state = { calls: [] as Call[], failPosts: 0, ts: 1000 };
  let socket: WebSocket | undefined;
  const acks = new Map<string, (payload: Record<string, unknown>) => void>();
  let envelopes = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const method = (req.url ?? '').replace(/^\/api\//, '');
      const body: Record<string, unknown> = String(req.headers['content-type']).includes('json')
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
      for (const k of ['blocks', 'view']) if (typeof body[k] === 'string') body[k] = JSON.parse(body[k]);
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (method === 'chat.postMessage' && state.failPosts > 0) {
        state.failPosts--;
        state.calls.push({ method: `${method} (failed)`, token: req.headers.authorization, body });
        return send(500, { ok: false, error: 'internal_error' });
      }
      state.calls.push({ method, token: req.headers.authorization, body });
      if (method === 'chat.postMessage') return send(200, { ok: true, channel: body.channel, ts: String(++state.ts) });
      if (method === 'apps.connections.open')
        return send(200, { ok: true, url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/link` });
      if (method === 'users.lookupByEmail')
        return send(
          200,
          body.email === 'carol@example.com'
            ? { ok: true, user: { id: 'UCAROL' } }
            : { ok: false, error: 'users_not_found' },
        );
      send(200, { ok: true });
    });
  });
  const wss = new WebSocketServer({ server, path: '/link' });
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { envelope_id?: string; payload?: Record<string, unknown> };
      if (m.envelope_id) acks.get(m.envelope_id)?.(m.payload ?? {});
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A1' },
        debug_info: { host: 'fake' },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/`,
    envelope(type, payload) {
      const id = `env-${++envelopes}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode connection'));
        acks.set(id, resolve);
        socket.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: true }));
      });
    },
    get calls() {
      return state.calls;
    },
    get failPosts() {
      return state.failPosts;
    },
    set failPosts(n: number) {
      state.failPosts = n;
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A form POST to the receiver, signed with `SECRET` (or `o.secret`), `o.ageSeconds` old. */
export function signed(
  receiver: RunningSlackReceiver,
  path: string,
  form: Record<string, string>,
  o: { secret?: string; ageSeconds?: number } = {},
) {
  const body = new URLSearchParams(form).toString();
  const ts = String(Math.floor(Date.now() / 1000) - (o.ageSeconds ?? 0));
  return request(`${receiver.url}${path}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(o.secret ?? SECRET, ts, body),
    },
  });
}

/** An interactivity payload (a button click, a modal submit) posted as Slack does. */
export function interaction(
  receiver: RunningSlackReceiver,
  payload: unknown,
  o: { secret?: string; ageSeconds?: number } = {},
) {
  return signed(receiver, '/slack/interactivity', { payload: JSON.stringify(payload) }, o);
}

/** A block_actions click by `user` on the button `action` carrying `value`. */
export function clickButton(
  receiver: RunningSlackReceiver,
  user: string,
  action: string,
  value: string,
  o: { secret?: string; ageSeconds?: number } = {},
) {
  return interaction(
    receiver,
    {
      type: 'block_actions',
      user: { id: user },
      trigger_id: 'trig-1',
      channel: { id: 'C123' },
      actions: [{ action_id: action, value }],
    },
    o,
  );
}

/** The suite's Temporal, the Slack stand-in and a WebClient talking to it (see {@link slackSuite}). */
export interface SlackSuite {
  t: TestTemporal;
  slack: FakeSlack;
  web: WebClient;
}

/** More a file sets up once the suite's pieces run, and stops before they close. */
export interface SlackSuiteExtra {
  start(suite: SlackSuite): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What every Slack test file needs, set up once for the file: the suite's Temporal and the Slack
 * stand-in with a WebClient on it (`token`; no retries, so a failed post shows at once), started
 * in the file's `before` and closed in its `after`. `extra` runs inside those same hooks, so it
 * starts only once Temporal and the stand-in are up and stops before they close. The fields are
 * set once `before` ran, so use them inside tests. Call it at the top level of a test file.
 */
export function slackSuite(token = 'xoxb-test', extra?: SlackSuiteExtra): SlackSuite {
  const suite: Partial<SlackSuite> = {};
  before(async () => {
    suite.t = await testTemporal();
    suite.slack = await fakeSlack();
    suite.web = new WebClient(token, { slackApiUrl: suite.slack.url, retryConfig: { retries: 0 } });
    await extra?.start(suite as SlackSuite);
  });
  after(async () => {
    await extra?.stop();
    await suite.slack?.close();
    await suite.t?.close();
  });
  return suite as SlackSuite;
}

/**
 * Phoenix's receiver for `plan` on a free port, checking signatures with {@link SECRET} (which
 * {@link signed} signs with) and acting through the suite's Temporal and WebClient.
 */
export function startTestReceiver(suite: SlackSuite, plan: Plan): Promise<RunningSlackReceiver> {
  return startSlackReceiver({ port: 0, signingSecret: SECRET, temporal: suite.t.client, web: suite.web, plan });
}
