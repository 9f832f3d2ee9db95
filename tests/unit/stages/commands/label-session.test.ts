// The labelling logic without a browser: label rows parse and fold (last wins, undo withdraws, a repeated
// submit id counts once), Cohen's kappa on a worked example, and the session's serialised submits:
// two tabs hold different pairs, a pair labelled in one tab is refused in the other, a retried submit
// is written once, undo only withdraws the latest label, and votes map through the displayed order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agreement, describeAgreement } from '../../../../stages/commands/label/agreement.ts';
import type { Candidate } from '../../../../stages/commands/label/candidates.ts';
import { choiceOf, LabelSession } from '../../../../stages/commands/label/session.ts';
import { LabelLedger, parseLabelRow, type LabelChoice, type LabelRow } from '../../../../stages/shared/preference/labels.ts';

const rowOf = (record: Record<string, unknown>): LabelRow => {
  const row = parseLabelRow(record);
  assert.ok(!('problem' in row), JSON.stringify(row));
  return row;
};

describe('label rows', () => {
  it('name what is wrong with a bad row', () => {
    const problem = (r: Record<string, unknown>) => (parseLabelRow(r) as { problem: string }).problem;
    assert.equal(problem({ choice: 'a' }), 'a label needs a string `pairId` (the id of a candidate pair)');
    assert.equal(problem({ pairId: 'p', choice: 'left' }), '`choice` must be one of a, b, tie, both-bad, got "left"');
    assert.equal(problem({ pairId: 'p', undo: true, choice: 'a' }), 'an undo row has no `choice`');
    assert.equal(problem({ pairId: 'p', choice: 'a', order: ['a', 'a'] }), '`order` must be ["a", "b"] or ["b", "a"], got ["a","a"]');
    assert.equal(problem({ pairId: 'p', choice: 'a', rationale: 3 }), '`rationale` must be a string, got 3');
    assert.deepEqual(parseLabelRow({ pairId: 'p', choice: 'tie' }), { pairId: 'p', choice: 'tie', labeller: '' });
  });

  it('fold per labeller: the last row wins, undo withdraws, a repeated submit id changes nothing', () => {
    const ledger = new LabelLedger();
    const add = (r: Record<string, unknown>) => ledger.add(rowOf(r));
    assert.equal(add({ pairId: 'p1', choice: 'a', labeller: 'x', submitId: 's1' }), true);
    assert.equal(add({ pairId: 'p1', choice: 'b', labeller: 'x', submitId: 's1' }), false);
    add({ pairId: 'p1', choice: 'b', labeller: 'y' });
    add({ pairId: 'p2', choice: 'tie', labeller: 'x' });
    assert.equal(ledger.latest('x')?.pairId, 'p2');
    add({ pairId: 'p2', undo: true, labeller: 'x' });
    assert.equal(ledger.latest('x')?.pairId, 'p1', 'undo walks back to the label before');
    add({ pairId: 'p1', choice: 'both-bad', labeller: 'x' });
    assert.deepEqual(ledger.choices('p1'), ['both-bad', 'b']);
    assert.deepEqual(ledger.pairIds(), ['p1']);
    assert.deepEqual(ledger.labellers(), ['x', 'y']);
  });
});

describe("agreement and Cohen's kappa", () => {
  it('match a worked example: 50 items, 70% raw agreement, kappa 0.4', () => {
    // Yes/yes 20, yes/no 5, no/yes 10, no/no 15 (Wikipedia's example): p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5.
    const cells: [LabelChoice, LabelChoice, number][] = [['a', 'a', 20], ['a', 'b', 5], ['b', 'a', 10], ['b', 'b', 15]];
    const first = new Map<string, LabelChoice>();
    const second = new Map<string, LabelChoice>();
    let n = 0;
    for (const [x, y, count] of cells) for (let i = 0; i < count; i++, n++) (first.set(`p${n}`, x), second.set(`p${n}`, y));
    second.set('only-second', 'tie');
    const result = agreement(first, second);
    assert.equal(result.overlap, 50);
    assert.equal(result.raw, 0.7);
    assert.ok(Math.abs(result.kappa - 0.4) < 1e-12, String(result.kappa));
    assert.equal(result.disagreements.length, 15);
    assert.equal(describeAgreement(result), "raw agreement 70.0% (35 of 50), Cohen's kappa 0.40");
  });

  it('say why kappa is missing when both used one choice, and when nothing overlaps', () => {
    const same = new Map<string, LabelChoice>([['p', 'a'], ['q', 'a']]);
    assert.match(describeAgreement(agreement(same, same)), /raw agreement 100\.0% \(2 of 2\), Cohen's kappa undefined/);
    assert.equal(describeAgreement(agreement(same, new Map())), 'no pair labelled by both');
  });
});

const CANDIDATES: Candidate[] = ['p1', 'p2', 'p3'].map((id) => ({ id, prompt: [{ role: 'user', content: id }], answers: [`${id} first`, `${id} second`] }));

function session(options: { coin?: () => 0 | 1; ledger?: LabelLedger } = {}) {
  const written: LabelRow[] = [];
  const s = new LabelSession({
    candidates: CANDIDATES,
    ledger: options.ledger ?? new LabelLedger(),
    // A slow disk: each append resolves on a later tick, so concurrent requests overlap.
    file: { append: async (row) => void (await new Promise((r) => setTimeout(r, 5)), written.push(row)) },
    labeller: 'x',
    coin: options.coin ?? (() => 1),
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  return { s, written };
}

describe('label session', () => {
  it('maps a vote through the displayed order', () => {
    assert.equal(choiceOf('left', ['b', 'a']), 'b');
    assert.equal(choiceOf('right', ['b', 'a']), 'a');
    assert.equal(choiceOf('tie', ['b', 'a']), 'tie');
  });

  it('gives two tabs different pairs, shown in the coin order, and keeps a tab its pair', () => {
    const flips: (0 | 1)[] = [0, 1];
    const { s } = session({ coin: () => flips.shift() ?? 0 });
    assert.deepEqual(s.progress(), { done: 0, total: 3 }, 'progress holds no pair');
    const one = s.view('one').pair!;
    const two = s.view('two').pair!;
    assert.deepEqual([one.id, one.order, one.left], ['p1', ['a', 'b'], 'p1 first']);
    assert.deepEqual([two.id, two.order, two.left], ['p2', ['b', 'a'], 'p2 second']);
    assert.deepEqual(s.view('one').pair, one);
  });

  it('applies concurrent submits one at a time: a retry is written once, the same pair from another tab is refused', async () => {
    const { s, written } = session();
    const pair = s.view('one').pair!;
    const request = { submitId: 's1', pairId: pair.id, vote: 'left' as const, order: pair.order, rationale: 'why not' };
    const outcomes = await Promise.all([s.submit('one', request), s.submit('one', request), s.submit('two', { ...request, submitId: 's2', vote: 'right' })]);
    assert.deepEqual(outcomes.map((o) => o.status), ['ok', 'repeat', 'conflict']);
    assert.deepEqual(written, [{ pairId: 'p1', choice: 'b', rationale: 'why not', labeller: 'x', time: '2026-01-02T03:04:05.000Z', order: ['b', 'a'], submitId: 's1' }]);
    assert.equal(outcomes[0]!.view.done, 1);
    assert.deepEqual(outcomes[0]!.view.last, { pairId: 'p1', choice: 'b', vote: 'left' });
    assert.equal((await s.submit('one', { ...request, submitId: 's3', pairId: 'nope' })).status, 'unknown');
  });

  it('undo withdraws only the latest label and gives its pair back to the tab that asked', async () => {
    const { s, written } = session();
    const first = s.view('one').pair!;
    await s.submit('one', { submitId: 's1', pairId: first.id, vote: 'tie', order: first.order, rationale: '' });
    const second = s.view('two').pair!;
    await s.submit('two', { submitId: 's2', pairId: second.id, vote: 'left', order: second.order, rationale: '' });
    assert.equal((await s.undo('one', { submitId: 'u1', pairId: first.id })).status, 'conflict', 'a newer label exists');
    const undone = await s.undo('one', { submitId: 'u2', pairId: second.id });
    assert.equal(undone.status, 'ok');
    assert.equal(undone.view.pair!.id, second.id);
    assert.deepEqual(written.at(-1), { pairId: second.id, undo: true, labeller: 'x', time: '2026-01-02T03:04:05.000Z', submitId: 'u2' });
    assert.equal((await s.undo('one', { submitId: 'u2', pairId: second.id })).status, 'repeat');
  });

  it("reports agreement with the file's other labellers on the pairs both labelled", () => {
    const ledger = new LabelLedger();
    for (const [pairId, labeller, choice] of [['p1', 'x', 'a'], ['p2', 'x', 'b'], ['p1', 'y', 'a'], ['p2', 'y', 'a'], ['p3', 'y', 'tie']]) ledger.add({ pairId: pairId!, labeller: labeller!, choice: choice as LabelChoice });
    const view = session({ ledger }).s.view('one');
    assert.equal(view.done, 2);
    assert.equal(view.pair!.id, 'p3');
    assert.deepEqual(view.agreement.map((a) => [a.with, a.overlap, a.raw]), [['y', 2, 0.5]]);
  });
});
