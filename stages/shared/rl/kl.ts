// Per-token KL estimators and the adaptive KL coefficient, on plain numbers, so PPO's reward shaping
// and GRPO's KL metric are testable without tensors. Schulman's k1/k2/k3 ("Approximating KL
// divergence", 2020) as TRL (experimental/ppo/ppo_trainer.py, k1 and k3) and OpenRLHF
// (models/utils.py compute_approx_kl, k1/k2/k3) compute them; the controller is Ziegler et al. 2019's.

export type KlEstimator = 'k1' | 'k2' | 'k3';
export const KL_ESTIMATORS: readonly KlEstimator[] = ['k1', 'k2', 'k3'];

export interface KlOptions {
  /** OpenRLHF clamps every estimate to [-clamp, clamp] (it uses 10); TRL does not clamp (the default). */
  clamp?: number;
}

/**
 * KL(π‖π_ref) estimated at each sampled token, from the policy's and the reference's log-probs of it.
 * k1 = logp − ref (unbiased, can be negative), k2 = ½(logp − ref)², k3 = e^(ref−logp) − 1 − (ref−logp)
 * (unbiased and never negative). TRL's PPO penalises `kl_coef · estimate` per token in the reward.
 */
export function klPerToken(logp: readonly number[], refLogp: readonly number[], estimator: KlEstimator, options: KlOptions = {}): number[] {
  if (logp.length !== refLogp.length) throw new Error(`klPerToken: logp has ${logp.length} tokens, refLogp ${refLogp.length}`);
  if (!KL_ESTIMATORS.includes(estimator)) throw new Error(`klPerToken: unknown estimator \`${estimator}\` (use ${KL_ESTIMATORS.join(', ')})`);
  const { clamp } = options;
  return logp.map((lp, t) => {
    const logRatio = lp - refLogp[t]!; // log π/π_ref
    const kl = estimator === 'k1' ? logRatio : estimator === 'k2' ? 0.5 * logRatio * logRatio : Math.exp(-logRatio) - 1 + logRatio;
    return clamp === undefined ? kl : Math.min(clamp, Math.max(-clamp, kl));
  });
}

export interface AdaptiveKl {
  /** The KL (summed over a response, averaged over the batch) the controller steers towards; 6 in Ziegler et al. */
  target: number;
  /** How many samples it takes to move the coefficient by the full proportional error; 10000 in Ziegler et al. */
  horizon: number;
}

/**
 * Ziegler et al.'s proportional controller as OpenRLHF's AdaptiveKLController.update and TRL ≤0.11's
 * AdaptiveKLController: err = clip(kl/target − 1, −0.2, 0.2); coef · (1 + err · nSteps/horizon).
 * nSteps is the number of samples (responses) since the last update, as both pass it.
 */
export function updateKlCoef(coef: number, kl: number, nSteps: number, { target, horizon }: AdaptiveKl): number {
  if (!(target > 0) || !(horizon > 0)) throw new Error(`updateKlCoef: target (${target}) and horizon (${horizon}) must be positive`);
  if (!Number.isFinite(kl)) throw new Error(`updateKlCoef: the measured KL is ${kl}; the policy has diverged`);
  const err = Math.min(0.2, Math.max(-0.2, kl / target - 1));
  return coef * (1 + (err * nSteps) / horizon);
}
