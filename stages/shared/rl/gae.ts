// Generalised advantage estimation (Schulman et al. 2016) for one response, as TRL's PPO trainer
// (experimental/ppo/ppo_trainer.py, "compute advantages and returns") and OpenRLHF's
// get_advantages_and_returns run it. TRL runs the same loop over a padded row and adds the reward
// model's score one position past the last token (on the first pad, whose value it keeps); here the
// caller puts the score on the last real token, as OpenRLHF and the N-implementation-details code do.

export interface Gae {
  /** Â_t = Σ_l (γλ)^l δ_{t+l}, δ_t = r_t + γV_{t+1} − V_t. */
  advantages: number[];
  /** Â_t + V_t: the value head's regression target. */
  returns: number[];
}

/**
 * rewards[t] and values[t] belong to response token t; the value after the last token is 0 (the
 * episode ends there). Advantages are returned raw: PPO whitens them afterwards (whiten.ts).
 */
export function gae(rewards: readonly number[], values: readonly number[], gamma: number, lambda: number): Gae {
  if (rewards.length !== values.length) throw new Error(`gae: ${rewards.length} rewards but ${values.length} values; each response token needs both`);
  if (!(gamma >= 0 && gamma <= 1) || !(lambda >= 0 && lambda <= 1)) throw new Error(`gae: gamma (${gamma}) and lambda (${lambda}) must lie in [0, 1]`);
  const T = rewards.length;
  const advantages = new Array<number>(T);
  let lastGaeLam = 0;
  for (let t = T - 1; t >= 0; t--) {
    const nextValue = t < T - 1 ? values[t + 1]! : 0;
    const delta = rewards[t]! + gamma * nextValue - values[t]!;
    lastGaeLam = delta + gamma * lambda * lastGaeLam;
    advantages[t] = lastGaeLam;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]!) };
}
