// The optimiser and loop parameters every training stage shares (they feed trainLoop). Each stage
// picks its own defaults: pre-training and fine-tuning want different learning rates and decay.
export interface TrainingDefaults {
  steps: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  evalEvery: number;
  evalBatches: number;
  checkpointEvery: number;
  logEvery: number;
}

/**
 * Upper bounds that no run of this engine gets near: a value past them is a typo (steps: 1e12 would
 * train for centuries) and is refused at validation instead of running until someone notices.
 */
const MAX_STEPS = 100_000_000;
const MAX_BATCH = 65_536;

export const trainingProperties = (d: TrainingDefaults) =>
  ({
    steps: { type: 'integer', minimum: 1, maximum: MAX_STEPS, default: d.steps, description: 'Optimizer steps.' },
    batchSize: { type: 'integer', minimum: 1, maximum: MAX_BATCH, default: d.batchSize, description: 'Sequences per micro-batch.' },
    gradAccum: { type: 'integer', minimum: 1, maximum: MAX_BATCH, default: 1, description: 'Micro-batches per optimizer step.' },
    lr: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: d.lr, description: 'Peak learning rate.' },
    minLr: { type: 'number', minimum: 0, maximum: 10, default: d.minLr, description: 'Learning rate at the end of the cosine decay.' },
    warmupSteps: { type: 'integer', minimum: 0, maximum: MAX_STEPS, default: d.warmupSteps, description: 'Linear warm-up steps.' },
    weightDecay: { type: 'number', minimum: 0, default: d.weightDecay, description: 'Decoupled weight decay on matrices (not norms, biases).' },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.95 },
    eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
    gradClip: { type: 'number', minimum: 0, default: 1, description: 'Clip gradients to this global norm (0: off).' },
    evalEvery: { type: 'integer', minimum: 1, maximum: MAX_STEPS, default: d.evalEvery, description: 'Validation loss every N steps.' },
    evalBatches: { type: 'integer', minimum: 1, maximum: MAX_STEPS, default: d.evalBatches, description: 'Batches per validation estimate (at most).' },
    checkpointEvery: { type: 'integer', minimum: 1, maximum: MAX_STEPS, default: d.checkpointEvery, description: 'Resumable checkpoint every N steps.' },
    logEvery: { type: 'integer', minimum: 1, maximum: MAX_STEPS, default: d.logEvery, description: 'A log line every N steps.' },
  }) as const;
