// The labelling page's HTTP server (Hono on Node): 127.0.0.1 only, the random token from the printed URL
// on every request, foreign Host (DNS rebinding) and Origin (cross-site posts) refused, bounded request
// sizes, and a Content-Security-Policy that allows no inline script: the page shows model text as text.
import { serve, type ServerType } from '@hono/node-server';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errUsage } from '../../../engine/errors.ts';
import { isDisplayOrder, type DisplayOrder } from '../../shared/preference/labels.ts';
import { VOTES, type LabelSession, type Outcome, type Vote } from './session.ts';

/** Largest request body accepted: a label with a long rationale is well under it. */
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_RATIONALE_CHARS = 2000;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface LabelServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServerOptions {
  session: LabelSession;
  /** Shown in the page header: recipe and stage. */
  title: string;
  /** The command that trains on the labels, shown when every pair is labelled. */
  next: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where server-side failures are reported (a failed append, say). */
  log?: (line: string) => void;
}

const PAGE = ['index.html', 'label.js', 'label.css'] as const;

export async function startLabelServer(options: ServerOptions): Promise<LabelServer> {
  const token = randomBytes(24).toString('base64url');
  const page = Object.fromEntries(await Promise.all(PAGE.map(async (f) => [f, await readFile(new URL(`./page/${f}`, import.meta.url), 'utf8')] as const))) as Record<(typeof PAGE)[number], string>;
  let port = 0;
  const app = labelApp({ ...options, token, page: { ...page, 'index.html': page['index.html'].replaceAll('{{token}}', token) }, boundPort: () => port });
  const server = await listen(app, options.port ?? 0);
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server).closeAllConnections();
      }),
  };
}

function listen(app: Hono, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: '127.0.0.1',
      // Leaves the process's global Request and Response alone: the command also runs stages.
      overrideGlobalObjects: false,
      port,
      // Small headers and prompt timeouts: a slow or bloated client cannot hold the server.
      serverOptions: { maxHeaderSize: 8 * 1024, headersTimeout: 10_000, requestTimeout: 30_000 },
    });
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? errUsage(`port ${port} on 127.0.0.1 is in use`, 'pass another --port, or --port 0 for any free one') : error),
    );
  });
}

function labelApp(o: ServerOptions & { token: string; page: Record<(typeof PAGE)[number], string>; boundPort: () => number }): Hono {
  const { session } = o;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = digest(o.token);
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.use(async (c, next) => {
    const hosts = [`127.0.0.1:${o.boundPort()}`, `localhost:${o.boundPort()}`];
    const host = c.req.header('host')?.toLowerCase();
    if (!host || !hosts.includes(host)) return c.text('refused: the Host header is not this server (DNS rebinding?)', 403);
    const origin = c.req.header('origin');
    if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return c.text('refused: a request from another site (Origin)', 403);
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return c.text('refused: a request from another site (Sec-Fetch-Site)', 403);
    const given = c.req.query('token') ?? c.req.header('x-tempa-token');
    if (given === undefined || !timingSafeEqual(digest(given), expected)) return c.text('refused: missing or wrong token: open the URL `tempa label` printed', 401);
    await next();
  });

  app.get('/', (c) => c.html(o.page['index.html']));
  app.get('/label.js', (c) => c.body(o.page['label.js'], 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/label.css', (c) => c.body(o.page['label.css'], 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/api/state', (c) => {
    const tab = c.req.query('tab') ?? '';
    if (!ID.test(tab)) return c.json({ message: '`tab` must be 1-64 letters, digits, - or _' }, 400);
    return c.json({ title: o.title, next: o.next, ...session.view(tab) });
  });

  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text(`refused: request body over ${MAX_BODY_BYTES} bytes`, 413) });
  app.post('/api/label', limit, async (c) => {
    const body = await jsonBody(c);
    if ('error' in body) return body.error;
    const problem = labelProblem(body.value);
    if (problem) return c.json({ message: problem }, 400);
    const { tab, submitId, pairId, vote, order, rationale = '' } = body.value as { tab: string; submitId: string; pairId: string; vote: Vote; order: DisplayOrder; rationale?: string };
    return reply(c, await session.submit(tab, { submitId, pairId, vote, order, rationale }));
  });
  app.post('/api/undo', limit, async (c) => {
    const body = await jsonBody(c);
    if ('error' in body) return body.error;
    const { tab, submitId, pairId } = body.value;
    if (typeof tab !== 'string' || !ID.test(tab) || typeof submitId !== 'string' || !ID.test(submitId) || typeof pairId !== 'string' || pairId.length > 128) {
      return c.json({ message: 'an undo is {tab, submitId, pairId}' }, 400);
    }
    return reply(c, await session.undo(tab, { submitId, pairId }));
  });

  app.notFound((c) => c.text('not found', 404));
  app.onError((error, c) => {
    o.log?.(`label server: ${error.message}`);
    return c.json({ message: `not saved: ${error.message}` }, 500);
  });
  return app;
}

const STATUS = { ok: 200, repeat: 200, conflict: 409, unknown: 404 } as const;
const reply = (c: Context, outcome: Outcome) => c.json(outcome, STATUS[outcome.status]);

async function jsonBody(c: Context): Promise<{ value: Record<string, unknown> } | { error: Response }> {
  if (!c.req.header('content-type')?.startsWith('application/json')) return { error: c.text('refused: send application/json', 415) };
  const value: unknown = await c.req.json().catch(() => undefined);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { value: value as Record<string, unknown> };
  return { error: c.json({ message: 'the body must be a JSON object' }, 400) };
}

function labelProblem(v: Record<string, unknown>): string | undefined {
  if (typeof v.tab !== 'string' || !ID.test(v.tab)) return '`tab` must be 1-64 letters, digits, - or _';
  if (typeof v.submitId !== 'string' || !ID.test(v.submitId)) return '`submitId` must be 1-64 letters, digits, - or _';
  if (typeof v.pairId !== 'string' || v.pairId.length === 0 || v.pairId.length > 128) return '`pairId` must be a pair id';
  if (!VOTES.includes(v.vote as Vote)) return `\`vote\` must be one of ${VOTES.join(', ')}`;
  if (!isDisplayOrder(v.order)) return '`order` must be ["a", "b"] or ["b", "a"]';
  if (v.rationale !== undefined && (typeof v.rationale !== 'string' || v.rationale.length > MAX_RATIONALE_CHARS)) return `\`rationale\` must be a string of at most ${MAX_RATIONALE_CHARS} characters`;
  return undefined;
}
