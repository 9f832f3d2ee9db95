// `tempa label` as a real process: it runs the stage, prints a 127.0.0.1 URL and serves; SIGKILL in the
// middle of labelling (a browser pressing keys and eight clients posting at once) leaves only whole
// lines holding every acknowledged label, and a restart resumes from them. `--agreement` needs no recipe;
// a stage that reads no labels dataset is refused with the fix.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser.ts';
import { readRows } from '../helpers/label-server.ts';
import { makeProject, startTempa, tempa, waitFor } from '../helpers/project.ts';

// The page's globals, as the function passed to page.waitForFunction sees them (tsconfig has no DOM lib).
declare const document: { body: { dataset: Record<string, string | undefined> } };

const PAIRS = Array.from({ length: 400 }, (_, i) => ({ prompt: `What is ${i} + ${i}?`, answers: [`${2 * i}`, `${2 * i + 1}`] }));
const RECIPE = `name: labelling
datasets:
  pairs: pairs.jsonl
  labels: labels/alice.jsonl
stages:
  candidates:
    uses: exec
    inputs: { source: pairs, labels: labels }
    with:
      command: cp "$TEMPA_INPUT_SOURCE" "$TEMPA_OUT/candidates.jsonl"
      outputs: { candidates: candidates.jsonl }
  unlabelled:
    uses: exec
    inputs: { source: pairs }
    with:
      command: cp "$TEMPA_INPUT_SOURCE" "$TEMPA_OUT/candidates.jsonl"
      outputs: { candidates: candidates.jsonl }
`;

async function project() {
  return makeProject({ 'recipe.yaml': RECIPE, 'pairs.jsonl': PAIRS.map((p) => JSON.stringify(p)).join('\n') + '\n' });
}

/** Starts `tempa label` and waits for the URL it prints. */
async function startLabel(dir: string, args: string[] = []) {
  const run = startTempa(['label', 'recipe.yaml', '--stage', 'candidates', '--labeller', 'alice', ...args], dir);
  let stdout = '';
  run.child.stdout!.on('data', (d) => (stdout += d));
  await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(stdout) || run.child.exitCode !== null, 60_000, 'the label URL');
  const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(stdout)?.[0];
  assert.ok(url, `no URL printed: ${stdout}\n${(await Promise.race([run.done, Promise.resolve(undefined)]))?.stderr ?? ''}`);
  return { ...run, url, stdout: () => stdout };
}

describe('tempa label (command)', () => {
  it('SIGKILL while a browser and eight clients label leaves whole lines only, with every acknowledged label; a restart resumes', async () => {
    const dir = await project();
    const labelsFile = path.join(dir, 'labels', 'alice.jsonl');
    const server = await startLabel(dir);
    assert.match(server.stdout(), /labelling 400 candidate pairs of stage candidates as alice \(0 done\) at/);
    const url = new URL(server.url);
    const token = url.searchParams.get('token')!;
    const acked = new Set<string>();
    let killed = false;
    const client = async (worker: number) => {
      const headers = { 'x-tempa-token': token, 'content-type': 'application/json' };
      for (let n = 0; !killed; n++) {
        try {
          const state = (await (await fetch(`${url.origin}/api/state?tab=w${worker}`, { headers })).json()) as { pair?: { id: string; order: string[] } };
          if (!state.pair) return;
          const submitId = `w${worker}n${n}`;
          const body = JSON.stringify({ tab: `w${worker}`, submitId, pairId: state.pair.id, vote: n % 2 ? 'left' : 'tie', order: state.pair.order, rationale: 'x'.repeat(n % 50) });
          const reply = await fetch(`${url.origin}/api/label`, { method: 'POST', headers, body });
          if (reply.status === 200) acked.add(submitId);
        } catch {
          return; // the server is gone
        }
      }
    };
    const browser = skipWithoutBrowser ? undefined : await launchBrowser();
    const pressing = (async () => {
      if (!browser) return;
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.busy === 'false');
      while (!killed) await page.keyboard.press('2').catch(() => undefined);
    })();
    const clients = Array.from({ length: 8 }, (_, i) => client(i));
    // Complete lines, as the assertion below counts rows: a file of 120 lines splits into 121 parts.
    await waitFor(async () => ((await readFile(labelsFile, 'utf8')).match(/\n/g)?.length ?? 0) > 120, 60_000, 'more than 120 labels on disk');
    process.kill(-server.child.pid!, 'SIGKILL');
    killed = true;
    const ended = await server.done;
    await Promise.all([...clients, pressing]);
    await browser?.close();
    assert.equal(ended.signal, 'SIGKILL');

    const rows = await readRows(labelsFile); // throws on a partial last line or a line that is not JSON
    assert.ok(rows.length > 120, `${rows.length} rows`);
    const written = new Set(rows.map((r) => r.submitId));
    for (const id of acked) assert.ok(written.has(id), `acknowledged label ${id} is in the file`);
    assert.equal(new Set(rows.map((r) => r.pairId)).size, rows.length, 'no pair labelled twice');
    if (browser) assert.ok(rows.some((r) => /^[0-9a-f]{32}$/.test(r.submitId as string)), 'the browser labelled too');

    const again = await startLabel(dir);
    assert.match(again.stdout(), new RegExp(`as alice \\(${rows.length} done\\)`));
    process.kill(-again.child.pid!, 'SIGTERM');
    assert.equal((await again.done).code, 130);
  });

  it('refuses a stage that reads no labels dataset, and names the fix', async () => {
    const dir = await project();
    const result = await tempa(['label', 'recipe.yaml', '--stage', 'unlabelled'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /stage `unlabelled` reads no labels dataset, so labels would go nowhere/);
    assert.match(result.stderr, /datasets: \{ labels: labels\.jsonl \}/);
    const several = await tempa(['label', 'recipe.yaml'], dir);
    assert.match(several.stderr, /several stages write candidate pairs: candidates, unlabelled/);
  });

  it('--agreement compares two files, or two labellers of one file, without a recipe', async () => {
    const rows = (labeller: string, choices: string[], rationale: Record<number, string> = {}) =>
      choices.map((choice, i) => JSON.stringify({ pairId: `p${i + 1}`, choice, labeller, ...(rationale[i] && { rationale: rationale[i] }) })).join('\n') + '\n';
    const alice = rows('alice', ['a', 'b', 'a', 'tie', 'a'], { 2: 'clearer' });
    const bob = rows('bob', ['a', 'b', 'b', 'both-bad']);
    const dir = await makeProject({ 'alice.jsonl': alice, 'bob.jsonl': bob, 'shared.jsonl': alice + bob, 'three.jsonl': alice + bob + rows('carol', ['a']) });
    const two = await tempa(['label', '--agreement', 'alice.jsonl', 'bob.jsonl'], dir);
    assert.equal(two.code, 0, two.stderr);
    // p_o = 2/4; p_e = 0.5*0.25 (a) + 0.25*0.5 (b) = 0.25; kappa = (0.5 - 0.25) / 0.75.
    assert.equal(
      two.stdout,
      [
        'alice (alice.jsonl) vs bob (bob.jsonl): 4 pairs labelled by both',
        "raw agreement 50.0% (2 of 4), Cohen's kappa 0.33",
        '2 pairs they disagree on:',
        '  p3  alice a, bob b  (alice: "clearer")',
        '  p4  alice tie, bob both-bad',
        '',
      ].join('\n'),
    );
    const shared = await tempa(['label', '--agreement', 'shared.jsonl'], dir);
    assert.match(shared.stdout, /^alice vs bob: 4 pairs labelled by both\nraw agreement 50\.0%/);
    const three = await tempa(['label', '--agreement', 'three.jsonl'], dir);
    assert.equal(three.code, 2);
    assert.match(three.stderr, /three\.jsonl holds labels of 3 labellers \(alice, bob, carol\); one file needs exactly two/);
    await writeFile(path.join(dir, 'bad.jsonl'), '{"pairId": "p1", "choice": "left"}\n');
    const bad = await tempa(['label', '--agreement', 'bad.jsonl', 'bob.jsonl'], dir);
    assert.match(bad.stderr, /bad\.jsonl:1: `choice` must be one of a, b, tie, both-bad, got "left"/);
  });
});
