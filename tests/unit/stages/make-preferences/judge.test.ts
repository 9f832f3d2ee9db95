// The judges of make-preferences on hand-made answers: correct beats wrong whatever the style, style rules
// decide only between two correct answers and in their declared order, wrong/wrong is both-bad, identical
// answers never pair, the reward judge respects its margin, and labels go by each labeller's majority.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distinctPairs, labelDecision, rewardDecision, verifierDecision, type Sampled } from '../../../../stages/make-preferences/judge.ts';

const answer = (text: string, correct: boolean | undefined, ended = true, tokens = text.length): Sampled => ({ text, correct, ended, tokens });

describe('make-preferences judges', () => {
  it('verifier: correct beats wrong even when the wrong answer is shorter and ends properly', () => {
    assert.deepEqual(verifierDecision(answer('a long right answer', true, false), answer('no', false), ['ends-properly', 'shorter']), { winner: 0, reason: 'correct beats wrong', strength: 2 });
    assert.deepEqual(verifierDecision(answer('no', false), answer('yes', true), []), { winner: 1, reason: 'correct beats wrong', strength: 2 });
  });

  it('verifier: between two correct answers the declared rules decide, in order; two wrong ones are both-bad', () => {
    const truncatedShort = answer('7', true, false, 1);
    const endedLong = answer('7, I think', true, true, 5);
    assert.deepEqual(verifierDecision(truncatedShort, endedLong, ['ends-properly', 'shorter']), { winner: 1, reason: 'ends properly beats truncated', strength: 1 });
    assert.deepEqual(verifierDecision(truncatedShort, endedLong, ['shorter', 'ends-properly']), { winner: 0, reason: 'shorter beats longer', strength: 1 });
    assert.deepEqual(verifierDecision(truncatedShort, endedLong, []), { outcome: 'tie', reason: 'both correct, no style rule separates them' });
    assert.deepEqual(verifierDecision(answer('1', false), answer('2', false), ['shorter']), { outcome: 'both-bad', reason: 'both wrong' });
    assert.deepEqual(verifierDecision(answer('1', undefined), answer('2', true), ['shorter']), { outcome: 'unverifiable', reason: 'no verifier for this prompt' });
  });

  it('pairs only distinct answers, each unordered pair of texts once', () => {
    assert.deepEqual(distinctPairs([answer('a', true), answer('a', true), answer('b', false), answer('a', false)]), [[0, 2]]);
    // b-a first; a later a-b (the same pair reversed, which would get another id) is not paired again.
    assert.deepEqual(distinctPairs([answer('b', false), answer('a', true), answer('c', false), answer('b', false), answer('a', true)]), [[0, 1], [0, 2], [1, 2]]);
  });

  it('reward model: the higher normalised score wins when the gap reaches minMargin', () => {
    const scored = (text: string, score: number): Sampled => ({ ...answer(text, undefined), score });
    assert.deepEqual(rewardDecision(scored('x', 0.2), scored('y', 1.5), 0.1), { winner: 1, reason: 'reward 1.500 beats 0.200', strength: 1.3 });
    assert.equal('outcome' in rewardDecision(scored('x', 0.2), scored('y', 0.25), 0.1), true);
  });

  it('labels: a strict majority of labellers decides; a split is a tie', () => {
    assert.deepEqual(labelDecision(['b']), { winner: 1, reason: 'label b (1 of 1)', strength: 1 });
    assert.deepEqual(labelDecision(['a', 'b']), { outcome: 'tie', reason: 'labelled tie or split' });
    assert.deepEqual(labelDecision(['both-bad', 'both-bad', 'a']), { outcome: 'both-bad', reason: 'labelled both bad' });
    assert.equal(labelDecision([]), undefined);
  });
});
