// The label server's guards, over raw HTTP: no token or a wrong one, a foreign Host (DNS rebinding), a
// foreign Origin or Sec-Fetch-Site (a cross-site post), an oversized body or header, and a bad body are
// refused, and nothing reaches the labels file; a label the disk refuses is reported and not counted.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_BYTES } from '../../../../stages/commands/label/server.ts';
import { serveLabels, type TestLabelServer } from '../../../helpers/label-server.ts';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request: node:http lets a test set Host and Origin, which fetch does not. */
function send(url: URL, o: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: url.port, method: o.method ?? 'GET', path: o.path ?? '/', headers: o.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

let served: TestLabelServer;
let url: URL;
let token: string;
let pairId: string;
before(async () => {
  served = await serveLabels();
  url = new URL(served.server.url);
  token = url.searchParams.get('token')!;
  pairId = served.candidates[1]!.id;
});
after(() => served.close());

const json = (body: unknown) => ({ method: 'POST', path: '/api/label', headers: { 'x-tempa-token': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const LABEL = () => ({ tab: 't1', submitId: 's1', pairId, vote: 'left', order: ['a', 'b'], rationale: '' });

describe('label server guards', () => {
  it('binds 127.0.0.1 and serves the page with the token, and security headers on every answer', async () => {
    assert.equal(url.hostname, '127.0.0.1');
    const page = await send(url, { path: `/?token=${token}` });
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(`<meta name="tempa-token" content="${token}">`));
    for (const reply of [page, await send(url, { path: '/' })]) {
      assert.match(String(reply.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
      assert.equal(reply.headers['x-content-type-options'], 'nosniff');
      assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    }
  });

  it('refuses a request without the token or with a wrong one', async () => {
    assert.equal((await send(url, { path: '/' })).status, 401);
    assert.equal((await send(url, { path: `/?token=${token}x` })).status, 401);
    assert.equal((await send(url, { path: '/label.js' })).status, 401);
    const noToken = await send(url, { ...json(LABEL()), headers: { 'content-type': 'application/json' } });
    assert.deepEqual([noToken.status, noToken.body], [401, 'refused: missing or wrong token: open the URL `tempa label` printed']);
  });

  it('refuses a foreign Host, a foreign Origin and a cross-site fetch, even with the token', async () => {
    const withToken = { 'x-tempa-token': token };
    const host = await send(url, { path: '/api/state?tab=t1', headers: { ...withToken, host: `attacker.example:${url.port}` } });
    assert.deepEqual([host.status, host.body], [403, 'refused: the Host header is not this server (DNS rebinding?)']);
    assert.equal((await send(url, { path: '/api/state?tab=t1', headers: { ...withToken, host: '127.0.0.1:1' } })).status, 403);
    const origin = await send(url, { ...json(LABEL()), headers: { ...json(LABEL()).headers, origin: 'http://attacker.example' } });
    assert.deepEqual([origin.status, origin.body], [403, 'refused: a request from another site (Origin)']);
    const site = await send(url, { ...json(LABEL()), headers: { ...json(LABEL()).headers, 'sec-fetch-site': 'cross-site' } });
    assert.equal(site.status, 403);
    const same = await send(url, { path: '/api/state?tab=t1', headers: { ...withToken, host: `localhost:${url.port}`, origin: `http://localhost:${url.port}` } });
    assert.equal(same.status, 200, 'localhost is this server too');
  });

  it('refuses oversized bodies and headers, bodies that are not JSON, and malformed labels', async () => {
    const big = await send(url, json({ ...LABEL(), rationale: 'x'.repeat(MAX_BODY_BYTES) }));
    assert.deepEqual([big.status, big.body], [413, `refused: request body over ${MAX_BODY_BYTES} bytes`]);
    assert.equal((await send(url, { path: '/api/state?tab=t1', headers: { 'x-tempa-token': token, 'x-padding': 'y'.repeat(10_000) } })).status, 431);
    assert.equal((await send(url, { ...json(LABEL()), headers: { 'x-tempa-token': token, 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await send(url, { ...json(LABEL()), body: '{not json' })).status, 400);
    const bad = await send(url, json({ ...LABEL(), vote: 'a' }));
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { message: '`vote` must be one of left, right, tie, both-bad' }]);
    assert.equal((await send(url, json({ ...LABEL(), rationale: 'r'.repeat(2001) }))).status, 400);
    assert.equal((await send(url, json({ ...LABEL(), tab: '../x' }))).status, 400);
    assert.equal((await send(url, { path: '/nowhere', headers: { 'x-tempa-token': token } })).status, 404);
    assert.equal(await readFile(served.labelsFile, 'utf8'), '', 'nothing refused reached the file');
  });

  it('accepts a well-formed label with the token, once per submit id', async () => {
    const first = await send(url, json(LABEL()));
    const again = await send(url, json(LABEL()));
    assert.deepEqual([first.status, JSON.parse(first.body).status, again.status, JSON.parse(again.body).status], [200, 'ok', 200, 'repeat']);
    assert.equal((await readFile(served.labelsFile, 'utf8')).split('\n').length, 2);
  });

  it('reports a label the disk refuses, and does not count it', { skip: existsSync('/dev/full') ? false : 'no /dev/full here to fill the disk' }, async () => {
    const full = await serveLabels({ labelsFile: '/dev/full', fresh: true });
    try {
      const u = new URL(full.server.url);
      const t = u.searchParams.get('token')!;
      const reply = await send(u, { method: 'POST', path: '/api/label', headers: { 'x-tempa-token': t, 'content-type': 'application/json' }, body: JSON.stringify({ ...LABEL(), pairId: full.candidates[0]!.id }) });
      assert.equal(reply.status, 500);
      assert.match(JSON.parse(reply.body).message, /^not saved: cannot append to \/dev\/full: no space left on device \(ENOSPC\)/);
      assert.equal(full.session.view('t1').done, 0);
      assert.equal(full.session.view('t1').pair!.id, full.candidates[0]!.id, 'the pair stays on screen to retry');
    } finally {
      await full.close();
    }
  });
});
