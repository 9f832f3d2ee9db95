// The stage plugin contract: the one interface every built-in or third-party stage implements.
// Kept free of any domain knowledge so engine/ never needs to know what a stage computes.
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/** What an input or output artifact is on disk. */
export type ArtifactKind = 'file' | 'dir' | 'files';

/** A resolved input artifact as a stage sees it: absolute paths, content already hashed by the engine. */
export interface InputArtifact {
  kind: ArtifactKind;
  /** The artifact's root: the file itself, its folder, or the common folder of a file set. */
  path: string;
  /** Every file in the artifact, absolute and sorted. */
  files: string[];
  /** sha256 of the artifact's content, as keyed into the cache. */
  hash: string;
  /** The stage output it is (absent for a dataset). Keyed beside its content: a stage may name it in what it writes. */
  from?: { stage: string; output: string };
}

/**
 * A stage this one depends on, directly or not, as this run found it (run or reused from the cache):
 * provenance for stages that report on a pipeline. Not part of the cache key, so a cached consumer shows
 * it as it was when the consumer ran.
 */
export interface UpstreamStage {
  name: string;
  uses: string;
  /** The plugin's description: what the stage does. */
  description: string;
  needs: readonly string[];
  status: 'ran' | 'cached';
  key: string;
  plugin: { name: string; version: number; code: string };
  metrics: Record<string, number>;
  info: Record<string, string>;
  durationMs: number;
  createdAt: string;
  /** Absolute path of each output. */
  outputs: Record<string, string>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ProgressUpdate {
  step: number;
  total: number;
  metrics?: Record<string, number>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  shell?: boolean;
  /** Appends stdout and stderr, interleaved, to this file. */
  logFile: string;
}

export interface SpawnResult {
  exitCode: number;
  signal?: string;
  /** The last lines of the log when the command failed, for the error message. */
  tail: string;
}

/** Everything a stage may touch while it runs; stages get nothing else from the engine. */
export interface StageContext {
  stage: string;
  /** Named upstream artifacts and datasets, as bound by the recipe's `inputs:`. */
  inputs: Record<string, InputArtifact>;
  /** Empty folder the stage writes its outputs into; renamed into the store only on success. */
  outDir: string;
  /** Survives a crash or Ctrl-C of this exact stage key, so a rerun can resume from it. */
  checkpointDir: string;
  /** The stage's log file (stdout/stderr of subprocesses go here too). */
  logFile: string;
  /** The folder of the recipe that declared the stage; relative paths in params resolve from here. */
  recipeDir: string;
  seed: number;
  /** Deterministic uniform floats in [0, 1) from the stage seed. */
  random(): number;
  /** The recipe's `runtime:` options, as the application's runtime schema checked them. Not part of the cache key. */
  runtime: Record<string, unknown>;
  /** Every stage this one depends on, directly or not, in run order. Not part of the cache key. */
  upstream: readonly UpstreamStage[];
  log: Logger;
  signal: AbortSignal;
  progress(update: ProgressUpdate): void;
  /** Runs an external command through the engine's process layer (execa), honouring `signal`. */
  spawn(command: string, args: string[], options: SpawnOptions): Promise<SpawnResult>;
}

export interface StageResult {
  metrics: Record<string, number>;
  /** Facts about how the result was computed (e.g. `backend: wasm`), recorded in the lock file. */
  info?: Record<string, string>;
  /** Output name -> path relative to outDir. Every name declared by `outputs()` must appear. */
  artifacts: Record<string, string>;
}

export interface OutputSpec {
  kind: Exclude<ArtifactKind, 'files'>;
  description?: string;
  /** A document for people (a report): the summary at the end of `tempa run` prints its path. */
  document?: boolean;
  /**
   * It records facts of the run that made it (times, what was cached), so a rerun writes other bytes by
   * design: lock comparisons (`tempa verify`, `status`, `run`) leave its hash out and say so.
   */
  recordsTheRun?: boolean;
}

/** A problem `validate` found in a stage's parameters; `path` is the offending field inside `with:`. */
export interface ParamProblem {
  path: readonly (string | number)[];
  message: string;
  hint?: string;
}

export interface InputSpec {
  kind: ArtifactKind | 'any';
  optional?: boolean;
  description?: string;
}

/** A stage plugin; `P` is its parameter type, inferred from `schema` by defineStage. */
export interface Stage<P = unknown> {
  /** kebab-case, unique; what a recipe writes in `uses:`. */
  name: string;
  /** Bump when the stage's meaning changes: it goes into the cache key. */
  version: number;
  description: string;
  /** Metric names the summary at the end of `tempa run` shows for this stage (default: its first two metrics). */
  headline?: readonly string[];
  /** JSON Schema of `with:`; Ajv fills in its defaults before run(). */
  schema: object;
  /** Named inputs the stage requires. Absent: the stage accepts whatever the recipe binds. */
  inputs?(params: P): Record<string, InputSpec>;
  outputs(params: P): Record<string, OutputSpec>;
  /**
   * Checks across fields that the schema cannot state (`nEmbd` divisible by `nHead`), on params the
   * schema has accepted. Runs when the recipe is resolved, so `tempa validate` reports them at file:line.
   */
  validate?(params: P): ParamProblem[];
  run(ctx: StageContext, params: P): Promise<StageResult>;
}

/** A stage with its parameter type erased, as the engine holds it after loading. */
export type AnyStage = Stage<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Identity helper so a stage's parameter type is inferred from its `as const` schema. */
export const defineStage = <const S extends JSONSchema, P = FromSchema<S>>(stage: Stage<P> & { schema: S }): Stage<P> => stage;

export function isStage(value: unknown): value is AnyStage {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' &&
    typeof s.version === 'number' &&
    typeof s.schema === 'object' &&
    typeof s.outputs === 'function' &&
    typeof s.run === 'function' &&
    (s.validate === undefined || typeof s.validate === 'function')
  );
}
