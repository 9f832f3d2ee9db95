// The judges of make-preferences, as pure functions over sampled answers: the task verifier (correct beats
// wrong; between two equally correct answers the declared style rules decide), human labels, or a reward
// model's scores. A pair no judge can decide is a tie or both-bad: counted, never trained on.
import type { LabelChoice } from '../shared/preference/labels.ts';

/** One sampled answer as the judges see it. */
export interface Sampled {
  text: string;
  /** The verifier's verdict; undefined when the prompt has no verifiable task. */
  correct?: boolean;
  /** Ended with the end token rather than running out of tokens. */
  ended: boolean;
  tokens: number;
  /** The reward model's (normalised) score, when a reward model judges. */
  score?: number;
}

export const STYLE_RULES = ['ends-properly', 'shorter'] as const;
export type StyleRule = (typeof STYLE_RULES)[number];

export type Decision =
  | { winner: 0 | 1; reason: string; strength: number }
  | { outcome: 'tie' | 'both-bad' | 'unverifiable'; reason: string };

const STYLE: Record<StyleRule, { reason: string; prefer(a: Sampled, b: Sampled): 0 | 1 | undefined }> = {
  'ends-properly': { reason: 'ends properly beats truncated', prefer: (a, b) => (a.ended === b.ended ? undefined : a.ended ? 0 : 1) },
  shorter: { reason: 'shorter beats longer', prefer: (a, b) => (a.tokens === b.tokens ? undefined : a.tokens < b.tokens ? 0 : 1) },
};

/** Correct beats wrong (strength 2); between two correct answers the first style rule that separates them (strength 1). */
export function verifierDecision(a: Sampled, b: Sampled, rules: readonly StyleRule[]): Decision {
  if (a.correct === undefined || b.correct === undefined) return { outcome: 'unverifiable', reason: 'no verifier for this prompt' };
  if (a.correct !== b.correct) return { winner: a.correct ? 0 : 1, reason: 'correct beats wrong', strength: 2 };
  if (!a.correct) return { outcome: 'both-bad', reason: 'both wrong' };
  if (a.text === b.text) return { outcome: 'tie', reason: 'identical answers' };
  for (const rule of rules) {
    const winner = STYLE[rule].prefer(a, b);
    if (winner !== undefined) return { winner, reason: STYLE[rule].reason, strength: 1 };
  }
  return { outcome: 'tie', reason: 'both correct, no style rule separates them' };
}

/** The higher score wins when the gap is at least minMargin (best-of-n with a reward model). */
export function rewardDecision(a: Sampled, b: Sampled, minMargin: number): Decision {
  const gap = (a.score ?? 0) - (b.score ?? 0);
  if (a.text === b.text) return { outcome: 'tie', reason: 'identical answers' };
  if (Math.abs(gap) < minMargin) return { outcome: 'tie', reason: `reward gap ${Math.abs(gap).toFixed(3)} under ${minMargin}` };
  return { winner: gap > 0 ? 0 : 1, reason: `reward ${Math.max(a.score!, b.score!).toFixed(3)} beats ${Math.min(a.score!, b.score!).toFixed(3)}`, strength: Math.abs(gap) };
}

/**
 * Human labels of one pair (a = its first answer) merged into a decision: each labeller's last choice
 * counts once; a strict majority of a or b wins, anything else is a tie (or both-bad when that leads).
 */
export function labelDecision(choices: readonly LabelChoice[]): Decision | undefined {
  if (choices.length === 0) return undefined;
  const count = (c: LabelChoice) => choices.filter((x) => x === c).length;
  const [a, b] = [count('a'), count('b')];
  if (a * 2 > choices.length) return { winner: 0, reason: `label a (${a} of ${choices.length})`, strength: a / choices.length };
  if (b * 2 > choices.length) return { winner: 1, reason: `label b (${b} of ${choices.length})`, strength: b / choices.length };
  return count('both-bad') > count('tie') ? { outcome: 'both-bad', reason: 'labelled both bad' } : { outcome: 'tie', reason: 'labelled tie or split' };
}

/**
 * Indices of every pair of distinct answers (by text), each unordered pair of texts once, in a stable order:
 * when sampling repeats an answer, its pairs would otherwise be judged (and shown to labellers, and trained
 * on) again, some in reverse under another id.
 */
export function distinctPairs(answers: readonly Sampled[]): [number, number][] {
  const pairs: [number, number][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < answers.length; i++) {
    for (let j = i + 1; j < answers.length; j++) {
      const [a, b] = [answers[i]!.text, answers[j]!.text];
      const key = JSON.stringify(a < b ? [a, b] : [b, a]);
      if (a === b || seen.has(key)) continue;
      seen.add(key);
      pairs.push([i, j]);
    }
  }
  return pairs;
}
