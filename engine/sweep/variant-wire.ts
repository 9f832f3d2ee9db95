// What a sweep hands the process that runs one variant, and what that process hands back: plain JSON,
// on the command line one way and as one marked stdout line the other (a stage may print to stdout too).
import { PipelineError, RecipeErrors, type ErrorCode } from '../errors.ts';
import type { StageOutcome } from '../events.ts';

export interface VariantJob {
  /** The variant's `--set` overrides, runtime flags included. */
  sets: string[];
  lockFile: string;
  storeDir: string;
  remote?: string;
  remoteEndpoint?: string;
}

interface WireError {
  code: ErrorCode;
  message: string;
  hint?: string;
}

type WireOutcome = Omit<StageOutcome, 'error'> & { error?: WireError };

export interface WireResult {
  ok: boolean;
  outcomes: WireOutcome[];
  /** A failure outside every stage. */
  error?: WireError;
}

/** Starts the stdout line that carries the result. */
export const RESULT_MARK = 'tempa-sweep-variant-result ';

function toWireError(error: unknown): WireError {
  if (error instanceof PipelineError) return { code: error.code, message: error.message, hint: error.hint };
  // A dataset that cannot be read is found when the variant runs: its errors say where.
  if (error instanceof RecipeErrors) return { code: error.errors[0]?.code ?? 'RECIPE_INVALID', message: error.errors.map((e) => e.message).join('; '), hint: error.errors[0]?.hint };
  return { code: 'STAGE_FAILED', message: error instanceof Error ? error.message : String(error) };
}

export function toWire(ok: boolean, outcomes: readonly StageOutcome[], error?: unknown): WireResult {
  return { ok, outcomes: outcomes.map((o) => ({ ...o, error: o.error && toWireError(o.error) })), error: error === undefined ? undefined : toWireError(error) };
}

const fromWireError = (e: WireError) => new PipelineError(e.code, e.message, { hint: e.hint });

export function fromWire(result: WireResult): { ok: boolean; outcomes: StageOutcome[]; error?: PipelineError } {
  return {
    ok: result.ok,
    outcomes: result.outcomes.map((o) => ({ ...o, error: o.error && fromWireError(o.error) })),
    error: result.error && fromWireError(result.error),
  };
}
