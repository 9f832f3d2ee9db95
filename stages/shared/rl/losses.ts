// The RL losses on tfjs tensors, one file per family; this module is the single import the
// preference and reasoning stages use for them.
export { bradleyTerryLoss, type BradleyTerryOptions } from './reward-loss.ts';
export { DPO_LOSS_TYPES, dpoLoss, type DpoInputs, type DpoLoss, type DpoLossType, type DpoOptions } from './dpo-loss.ts';
export { GRPO_AGGREGATIONS, grpoLoss, type GrpoAggregation, type GrpoInputs, type GrpoLoss, type GrpoOptions } from './grpo-loss.ts';
export { entropyFromLogits, fillMasked, maskedMean } from './masked.ts';
export { ppoPolicyLoss, ppoValueLoss, type PpoPolicyInputs, type PpoPolicyLoss, type PpoValueInputs, type PpoValueLoss } from './ppo-loss.ts';
