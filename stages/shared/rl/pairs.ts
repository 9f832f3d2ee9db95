// Pairwise metrics of a reward model (or of DPO's implicit rewards) on plain numbers, named as TRL's
// RewardTrainer logs them: accuracy = mean(chosen > rejected), margin = mean(chosen − rejected).

export interface PairStats {
  /** Share of pairs the model ranks the right way; a tie counts as wrong (strict >, as TRL and OpenRLHF). */
  accuracy: number;
  margin: number;
}

export function pairStats(chosen: readonly number[], rejected: readonly number[]): PairStats {
  if (chosen.length !== rejected.length) throw new Error(`pairStats: ${chosen.length} chosen scores but ${rejected.length} rejected`);
  if (chosen.length === 0) throw new Error('pairStats: no pairs to score');
  let right = 0;
  let margin = 0;
  chosen.forEach((c, i) => {
    const r = rejected[i]!;
    if (c > r) right++;
    margin += c - r;
  });
  return { accuracy: right / chosen.length, margin: margin / chosen.length };
}

/** Held-out pairwise accuracy of a reward model (the share of pairs whose chosen answer scores higher). */
export function bradleyTerryAccuracy(chosen: readonly number[], rejected: readonly number[]): number {
  return pairStats(chosen, rejected).accuracy;
}
