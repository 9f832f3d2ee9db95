// What a run tells its observer (the terminal UI, watch mode, tests). Plain data, no rendering.
import type { PipelineError } from './errors.ts';
import type { ProgressUpdate } from './stage.ts';

export type StageStatus = 'cached' | 'ran' | 'failed' | 'skipped' | 'not-selected' | 'stale' | 'would-run';

export interface StageOutcome {
  name: string;
  status: StageStatus;
  key?: string;
  /** Why it ran, or why it is stale: `params changed: lr 0.1 -> 0.2`, `never run`, ... */
  reasons: string[];
  metrics?: Record<string, number>;
  durationMs?: number;
  error?: PipelineError;
  /** Where its outputs and log are, when it has a result. */
  outDir?: string;
  /** Absolute path of each output, when it has a result. */
  outputs?: Record<string, string>;
  logFile?: string;
  /** A cached result this run downloaded from the shared cache rather than found in the store. */
  downloaded?: boolean;
}

export interface RunReporter {
  start(stages: readonly string[]): void;
  stageStart(name: string, reasons: readonly string[]): void;
  stageProgress(name: string, update: ProgressUpdate): void;
  stageLog(name: string, level: 'info' | 'warn', message: string): void;
  stageEnd(outcome: StageOutcome): void;
  finish(outcomes: readonly StageOutcome[]): Promise<void> | void;
}

export const silentReporter: RunReporter = {
  start() {},
  stageStart() {},
  stageProgress() {},
  stageLog() {},
  stageEnd() {},
  finish() {},
};
