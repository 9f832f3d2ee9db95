// The `tempa label` page in headless Chromium: labelling by mouse and by keys writes exactly the rows
// expected (on disk before the next pair shows), undo brings the pair back as it was shown, a reload or
// a server restart resumes, two tabs at once never duplicate or drop a label, markup inside a prompt or
// an answer shows as text, and agreement with another labeller of the file shows. Skips, saying why,
// where no Chromium is installed.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readLabels } from '../../stages/make-preferences/labels.ts';
import { pairId } from '../../stages/shared/preference/pairs.ts';
import { launchBrowser, skipWithoutBrowser } from '../helpers/browser.ts';
import { PAIRS, readRows, serveLabels, type TestLabelServer } from '../helpers/label-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

// The page's globals, as the functions passed to page.evaluate see them (tsconfig has no DOM lib).
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelectorAll(selector: string): { length: number } };
declare const window: object;

let browser: Browser;
const servers: TestLabelServer[] = [];
before(async () => {
  if (!skipWithoutBrowser) browser = await launchBrowser();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await browser?.close();
});

async function open(options: Parameters<typeof serveLabels>[0] = {}) {
  const served = await serveLabels(options);
  servers.push(served);
  return served;
}

/** The pair the page shows, once it is not waiting for the server. */
async function shown(page: Page): Promise<{ id: string; order: string }> {
  await page.waitForFunction(() => document.body.dataset.busy === 'false' && document.body.dataset.pairId !== undefined);
  return page.evaluate(() => ({ id: document.body.dataset.pairId!, order: document.body.dataset.order! }));
}

/** Does `act`, then waits until the page shows another pair (or none). */
async function andNext(page: Page, act: () => Promise<void>): Promise<void> {
  const before = await shown(page);
  await act();
  await page.waitForFunction((id) => document.body.dataset.busy === 'false' && document.body.dataset.pairId !== id, before.id);
}

const textOf = (page: Page, selector: string) => page.locator(selector).textContent();
const answerFor = (served: TestLabelServer, id: string, side: string) => served.candidates.find((c) => c.id === id)!.answers[side === 'a' ? 0 : 1];

describe('tempa label page', { skip: skipWithoutBrowser }, () => {
  it('labels by mouse and by keys, with a rationale; each row exact and on disk before the next pair shows', async () => {
    const served = await open();
    const page = await browser.newPage();
    await page.goto(served.server.url);
    const expected: { pairId: string; choice: string; rationale: string; order: string[] }[] = [];
    const label = async (act: () => Promise<void>, vote: 'left' | 'right' | 'tie' | 'both-bad', rationale = '') => {
      const pair = await shown(page);
      const order = pair.order.split('');
      // The answers on screen are the pair's, in the order recorded.
      assert.equal(await textOf(page, '#left'), answerFor(served, pair.id, order[0]!));
      assert.equal(await textOf(page, '#right'), answerFor(served, pair.id, order[1]!));
      await andNext(page, act);
      expected.push({ pairId: pair.id, choice: vote === 'left' ? order[0]! : vote === 'right' ? order[1]! : vote, rationale, order });
      assert.equal((await readRows(served.labelsFile)).length, expected.length, 'the label is in the file when the next pair shows');
    };
    await label(() => page.click('#vote-left'), 'left');
    await label(() => page.keyboard.press('2'), 'right');
    await label(async () => {
      await page.click('#rationale');
      await page.keyboard.type('both miss the point');
      await page.keyboard.press('Escape');
      await page.keyboard.press('4');
    }, 'both-bad', 'both miss the point');
    await label(() => page.keyboard.press('3'), 'tie');
    await label(() => page.click('#vote-right'), 'right');

    const rows = await readRows(served.labelsFile);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), ['pairId', 'choice', 'rationale', 'labeller', 'time', 'order', 'submitId']);
      assert.match(row.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(row.submitId as string, /^[0-9a-f]{32}$/);
      assert.deepEqual(row, { ...expected[i], labeller: 'alice', time: row.time, submitId: row.submitId });
    });
    assert.equal(new Set(rows.map((r) => r.pairId)).size, 5);
    assert.equal(await textOf(page, '#progress'), '5 / 8 pairs labelled by alice');
    assert.equal(await page.locator('#rationale').inputValue(), '', 'the rationale box clears after a saved label');
    await page.close();
  });

  it('undo brings the last pair back as it was shown; relabelling it replaces the choice', async () => {
    const served = await open();
    const page = await browser.newPage();
    await page.goto(served.server.url);
    assert.equal(await page.locator('#undo').isDisabled(), true, 'nothing to undo yet');
    const first = await shown(page);
    await andNext(page, () => page.click('#vote-left'));
    await andNext(page, () => page.keyboard.press('u'));
    assert.deepEqual(await shown(page), first, 'same pair, same sides');
    assert.equal(await textOf(page, '#progress'), '0 / 8 pairs labelled by alice');
    await andNext(page, () => page.keyboard.press('2'));
    const second = await shown(page);
    await andNext(page, () => page.keyboard.press('1'));
    await andNext(page, () => page.click('#undo'));
    assert.deepEqual(await shown(page), second);

    const rows = await readRows(served.labelsFile);
    assert.deepEqual(
      rows.map((r) => [r.pairId, r.choice ?? 'undo']),
      [
        [first.id, first.order[0]],
        [first.id, 'undo'],
        [first.id, first.order[1]],
        [second.id, second.order[0]],
        [second.id, 'undo'],
      ],
    );
    assert.deepEqual(Object.keys(rows[1]!), ['pairId', 'undo', 'labeller', 'time', 'submitId']);
    // make-preferences reads the same file: the relabelled pair counts once, the undone one not at all.
    const labels = await readLabels([served.labelsFile], { onMalformed: 'error', displayName: (f) => f });
    assert.deepEqual([...labels], [[first.id, [first.order[1]]]]);
    await page.close();
  });

  it('a reload keeps the pair on screen; a restarted server resumes from the file', async () => {
    const served = await open();
    const page = await browser.newPage();
    await page.goto(served.server.url);
    await andNext(page, () => page.keyboard.press('1'));
    await andNext(page, () => page.keyboard.press('2'));
    const current = await shown(page);
    await page.reload();
    assert.deepEqual(await shown(page), current);
    assert.equal(await textOf(page, '#progress'), '2 / 8 pairs labelled by alice');

    await served.close();
    servers.splice(servers.indexOf(served), 1);
    const restarted = await open({ labelsFile: served.labelsFile });
    await page.goto(restarted.server.url);
    assert.equal(await textOf(page, '#progress'), '2 / 8 pairs labelled by alice');
    const labelled = (await readRows(served.labelsFile)).map((r) => r.pairId);
    assert.ok(!labelled.includes((await shown(page)).id), 'a labelled pair is not shown again');
    await andNext(page, () => page.keyboard.press('4'));
    assert.equal((await readRows(served.labelsFile)).length, 3);
    await page.close();
  });

  it('two tabs at once: different pairs, every pair labelled exactly once, then the empty state in both', async () => {
    const served = await open();
    const context = await browser.newContext();
    const tabs = [await context.newPage(), await context.newPage()];
    await Promise.all(tabs.map((t) => t.goto(served.server.url)));
    const [a, b] = await Promise.all(tabs.map(shown));
    assert.notEqual(a!.id, b!.id, 'each tab holds its own pair');
    // Both tabs vote at the same moment, round after round, until neither has a pair left.
    for (let round = 0; round < 20; round++) {
      const open = await Promise.all(tabs.map(async (t) => ((await shown(t)).id !== '' ? t : undefined)));
      if (open.every((t) => t === undefined)) break;
      await Promise.all(open.map((t, i) => t && andNext(t, () => t.keyboard.press(i === 0 ? '1' : '3'))));
    }
    const rows = await readRows(served.labelsFile);
    assert.equal(rows.length, PAIRS.length, JSON.stringify(rows.map((r) => r.pairId)));
    assert.deepEqual(new Set(rows.map((r) => r.pairId)), new Set(served.candidates.map((c) => c.id)));
    for (const tab of tabs) {
      assert.equal(await tab.locator('#finished').isVisible(), true);
      assert.match((await textOf(tab, '#finished-detail'))!, /All 8 pairs have your label\. .*`tempa run recipe\.yaml`/);
      assert.equal(await tab.locator('#vote-left').isVisible(), false);
    }
    await context.close();
  });

  it('markup and script inside a prompt or an answer show as text and never run', async () => {
    const served = await open();
    const page = await browser.newPage();
    const response = await page.goto(served.server.url);
    assert.match(response!.headers()['content-security-policy']!, /script-src 'self'/);
    const pair = await shown(page);
    assert.equal(pair.id, served.candidates[0]!.id);
    const texts = [await textOf(page, '#left'), await textOf(page, '#right')].sort();
    assert.deepEqual(texts, [...PAIRS[0]!.answers].sort());
    assert.equal(await textOf(page, '#prompt .content'), PAIRS[0]!.prompt);
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { pwned?: number }).pwned,
      elements: document.querySelectorAll('#prompt b, #prompt i, #left img, #left script, #right img, #right script').length,
    }));
    assert.deepEqual(injected, { pwned: undefined, elements: 0 });
    await page.close();
  });

  it("shows agreement with another labeller of the same file once both labelled a pair", async () => {
    const dir = await tempDir('tempa-label-agree-');
    const labelsFile = path.join(dir, 'labels.jsonl');
    const ids = PAIRS.map((p) => pairId([{ role: 'user', content: p.prompt }], p.answers[0]!, p.answers[1]!));
    await writeFile(labelsFile, ids.slice(0, 2).map((id) => JSON.stringify({ pairId: id, choice: 'a', labeller: 'bob' })).join('\n') + '\n');
    const served = await open({ labelsFile });
    const page = await browser.newPage();
    await page.goto(served.server.url);
    assert.equal(await textOf(page, '#agreement'), '');
    // Alice says tie to both of bob's pairs: 0 of 2 agreed.
    await andNext(page, () => page.keyboard.press('3'));
    await andNext(page, () => page.keyboard.press('3'));
    assert.equal(await textOf(page, '#agreement'), "agreement with bob: 0% of 2 shared pairs, Cohen's κ 0.00");
    await page.close();
  });
});
