// Every error the engine reports, built only through the factories below so each message and hint
// is written in exactly one place (Rollup logs.ts).
import { closest, distance } from 'fastest-levenshtein';

export type ErrorCode =
  | 'ARTIFACT_MISSING'
  | 'DATA_INVALID'
  | 'IO_FAILED'
  | 'RECIPE_INVALID'
  | 'RECIPE_PARSE'
  | 'STAGE_FAILED'
  | 'STAGE_LOAD_FAILED'
  | 'STAGE_UNKNOWN'
  | 'SUBPROCESS_FAILED'
  | 'TRAINING_DIVERGED'
  | 'USAGE';

/** Where in a source file a problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface PipelineErrorOptions {
  hint?: string;
  stage?: string;
  location?: SourceLocation;
  /** The dotted field path inside the recipe (`stages.train.with.lr`). */
  field?: string;
  cause?: unknown;
  /** For STAGE_FAILED: the code the stage itself threw, when it threw a PipelineError. */
  stageCode?: ErrorCode;
}

export class PipelineError extends Error {
  code: ErrorCode;
  hint?: string;
  stage?: string;
  location?: SourceLocation;
  field?: string;
  stageCode?: ErrorCode;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.hint = options.hint;
    this.stage = options.stage;
    this.location = options.location;
    this.field = options.field;
    this.stageCode = options.stageCode;
  }
}

/** Several recipe problems reported together, so the user fixes them in one pass. */
export class RecipeErrors extends Error {
  errors: PipelineError[];
  constructor(errors: PipelineError[]) {
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} in recipe`);
    this.name = 'RecipeErrors';
    this.errors = errors;
  }
}

/** "did you mean" text for a misspelt name, or undefined when nothing is close. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(name, known as string[]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(name, best) <= limit ? best : undefined;
}

function didYouMean(name: string, known: readonly string[], what: string): string {
  const best = suggest(name, known);
  if (best !== undefined) return `did you mean \`${best}\`?`;
  return known.length ? `known ${what}: ${known.join(', ')}` : `no ${what} are defined`;
}

export const errRecipeParse = (message: string, location: SourceLocation, hint?: string) =>
  new PipelineError('RECIPE_PARSE', message, { location, hint });

export const errRecipeInvalid = (message: string, opts: { location?: SourceLocation; field?: string; hint?: string }) =>
  new PipelineError('RECIPE_INVALID', message, opts);

export const errUnknownKey = (key: string, allowed: string[], opts: { location?: SourceLocation; field: string }) =>
  errRecipeInvalid(`unknown key \`${key}\``, { ...opts, hint: didYouMean(key, allowed, 'keys') });

export const errStageUnknown = (name: string, known: readonly string[], opts: { location?: SourceLocation; field?: string }) =>
  new PipelineError('STAGE_UNKNOWN', `unknown stage plugin \`${name}\``, {
    ...opts,
    hint: `${didYouMean(name, known, 'plugins')} (a local plugin is a path such as ./plugins/${name}.ts)`,
  });

export const errUnknownRef = (kind: string, name: string, known: readonly string[], opts: { location?: SourceLocation; field: string }) =>
  errRecipeInvalid(`unknown ${kind} \`${name}\``, { ...opts, hint: didYouMean(name, known, `${kind}s`) });

export const errCycle = (cycle: string[], opts: { location?: SourceLocation; field: string }) =>
  errRecipeInvalid(`stages form a cycle: ${cycle.join(' -> ')}`, {
    ...opts,
    hint: 'remove one of these `needs` (or `inputs`) edges so the stages can be ordered',
  });

export const errStageLoad = (spec: string, cause: unknown, opts: { location?: SourceLocation; field?: string } = {}) =>
  new PipelineError('STAGE_LOAD_FAILED', `cannot load stage plugin \`${spec}\`: ${errorText(cause)}`, {
    ...opts,
    cause,
    hint: 'a plugin module must `export default defineStage({ name, version, schema, outputs, run })`',
  });

export const errStageFailed = (stage: string, error: unknown) => {
  const cause = asIoError(error);
  const stageCode = cause instanceof PipelineError ? cause.code : undefined;
  const hint = cause instanceof PipelineError ? cause.hint : undefined;
  return new PipelineError('STAGE_FAILED', `[stage ${stage}] ${errorText(cause)}`, { stage, cause, stageCode, hint });
};

export const errSubprocess = (command: string, exitCode: number, logFile: string, tail: string) =>
  new PipelineError('SUBPROCESS_FAILED', `\`${command}\` exited with code ${exitCode}\n${indent(tail)}`, {
    hint: `full log: ${logFile}`,
  });

export const errArtifactMissing = (stage: string, output: string, detail: string) =>
  new PipelineError('ARTIFACT_MISSING', `stage \`${stage}\` did not produce output \`${output}\`: ${detail}`, {
    stage,
    hint: 'a stage must write every declared output into ctx.outDir and return its relative path',
  });

export const errUpstreamNotCached = (stage: string, upstream: string) =>
  new PipelineError('ARTIFACT_MISSING', `stage \`${stage}\` needs \`${upstream}\`, which is not selected and has no cached result`, {
    stage,
    hint: `run \`${upstream}\` first, or widen the selection (drop --only, or use --to ${stage})`,
  });

/** A bad row in a data file; the stage that read it says in `hint` what it can do about it. */
export const errDataInvalid = (file: string, line: number, message: string, hint?: string) =>
  new PipelineError('DATA_INVALID', `${file}:${line}: ${message}`, { location: { file, line, col: 1 }, hint });

export const errInterrupted = (stage: string) =>
  new PipelineError('STAGE_FAILED', `[stage ${stage}] interrupted`, { stage, hint: 'nothing was cached for it; checkpoints are kept for the next run' });

const IO_REASONS: Record<string, [reason: string, hint: (dir: string) => string]> = {
  ENOSPC: ['no space left on device', (dir) => `free space on the disk that holds ${dir} (\`tempa gc\` drops unreferenced results), or move the store with --store`],
  EDQUOT: ['disk quota exceeded', (dir) => `free space in your quota on the disk that holds ${dir}, or move the store with --store`],
  EACCES: ['permission denied', (dir) => `check that you may write to ${dir} (owner and mode)`],
  EPERM: ['operation not permitted', (dir) => `check that you may write to ${dir} (owner, mode, immutable flags)`],
  EROFS: ['read-only file system', (dir) => `${dir} is on a read-only file system; move the store with --store`],
  EIO: ['input/output error', (dir) => `the disk holding ${dir} reported an error: check it (dmesg, fsck) before rerunning`],
  EMFILE: ['too many open files', () => 'raise the open-file limit (ulimit -n) or lower --jobs'],
};

/** An operating-system failure to read or write `file`, with the path (Node omits it for writes) and what to do. */
export const errIo = (action: string, file: string, cause: NodeJS.ErrnoException) => {
  const [reason, hint] = IO_REASONS[cause.code ?? ''] ?? [cause.message, () => `check the file system that holds ${dirOf(file)}`];
  return new PipelineError('IO_FAILED', `cannot ${action} ${file}: ${reason}${cause.code ? ` (${cause.code})` : ''}`, { cause, hint: hint(dirOf(file)) });
};

/**
 * `error` as an IO_FAILED error when the operating system raised it, else unchanged. Without
 * `action` and `file` it needs the path Node attached (open, mkdir, rename ... but not write).
 */
export function asIoError(error: unknown, action?: string, file?: string): unknown {
  if (error instanceof PipelineError || !(error instanceof Error)) return error;
  const errno = error as NodeJS.ErrnoException;
  const target = file ?? errno.path;
  if (typeof errno.code !== 'string' || !/^E[A-Z]+$/.test(errno.code) || target === undefined) return error;
  return errIo(action ?? errno.syscall ?? 'access', target, errno);
}

/** Runs `fn`; an operating-system error it raises becomes IO_FAILED naming `file`. */
export async function ioStep<T>(action: string, file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asIoError(error, action, file);
  }
}

const dirOf = (file: string) => file.replace(/\/[^/]*$/, '') || '/';

/** A stage named in --only/--from/--to/--force that the recipe does not have: an error, never a run of nothing. */
export const errUnknownStageFlag = (flag: string, name: string, known: readonly string[]) =>
  new PipelineError('USAGE', `${flag}: the recipe has no stage named \`${name}\``, { hint: didYouMean(name, known, 'stages') });

export const errUsage = (message: string, hint?: string) => new PipelineError('USAGE', message, { hint });

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  | ${line}`)
    .join('\n');
}
