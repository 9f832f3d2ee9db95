// GRPO's group-relative advantages, as TRL's GRPOTrainer._generate_and_score_completions computes them
// (multi_objective_aggregation "sum_then_normalize"): reward minus its group's mean, divided by the
// group's std, the batch's std or nothing (scale_rewards), + 1e-4. Stds are Bessel-corrected like
// torch.std; a NaN reward (no reward function could score the answer) is left out of the statistics
// and gets advantage 0, as TRL's nanmean/nanstd and nan_to_num do.

export type RewardScale = 'group' | 'batch' | 'none';
export const REWARD_SCALES: readonly RewardScale[] = ['group', 'batch', 'none'];

/** TRL's guard against dividing by a zero std. */
const STD_EPS = 1e-4;

/**
 * rewards holds groupSize consecutive answers per prompt. With groupSize 1 every advantage is 0 (TRL
 * sets the std to 0 and the reward equals its own mean).
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, scale: RewardScale): number[] {
  checkGroups('groupAdvantages', rewards, groupSize);
  if (!REWARD_SCALES.includes(scale)) throw new Error(`groupAdvantages: unknown scale \`${scale}\` (use ${REWARD_SCALES.join(', ')})`);
  const groups = chunk(rewards, groupSize);
  const batchStd = rewards.length > 1 ? nanStd(rewards) : 0;
  const advantages = groups.flatMap((group) => {
    const mean = nanMean(group);
    const std = scale === 'batch' ? batchStd : groupSize > 1 ? nanStd(group) : 0;
    return group.map((r) => (scale === 'none' ? r - mean : (r - mean) / (std + STD_EPS)));
  });
  return advantages.map((a) => (Number.isNaN(a) ? 0 : a));
}

/**
 * Indices of the groups whose rewards do not spread (std within 1e-8 of 0, TRL's is_std_zero, logged as
 * frac_reward_zero_std): every answer scored the same, so the group teaches nothing and DAPO's dynamic
 * sampling replaces it. A one-answer group counts; a group with fewer than two scorable answers does
 * not (its std is NaN in TRL).
 */
export function zeroSpreadGroups(rewards: readonly number[], groupSize: number): number[] {
  checkGroups('zeroSpreadGroups', rewards, groupSize);
  const zero: number[] = [];
  chunk(rewards, groupSize).forEach((group, g) => {
    const std = groupSize > 1 ? nanStd(group) : 0;
    if (Math.abs(std) <= 1e-8) zero.push(g);
  });
  return zero;
}

function checkGroups(name: string, rewards: readonly number[], groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`${name}: groupSize must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) {
    throw new Error(`${name}: ${rewards.length} rewards do not split into groups of ${groupSize}; each prompt needs exactly groupSize answers`);
  }
}

function chunk(xs: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function nanMean(xs: readonly number[]): number {
  const valid = xs.filter((x) => !Number.isNaN(x));
  return valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN;
}

/** torch-style std with Bessel's correction over the non-NaN entries; NaN with fewer than two (TRL nanstd). */
function nanStd(xs: readonly number[]): number {
  const valid = xs.filter((x) => !Number.isNaN(x));
  if (valid.length < 2) return NaN;
  const mean = nanMean(valid);
  return Math.sqrt(valid.reduce((s, x) => s + (x - mean) ** 2, 0) / (valid.length - 1));
}
