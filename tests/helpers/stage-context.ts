// Builds a real StageContext over a fresh temp folder so stage plugins can be unit-tested without the engine.
// Logs and progress updates are collected into arrays the test can assert on.
import { mkdir, rm } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { commonDir } from '../../engine/datasets.ts';
import { seededRandom } from '../../engine/rng.ts';
import type { InputArtifact, ProgressUpdate, StageContext, StageResult } from '../../engine/stage.ts';
import { tempDir } from './temp-dir.ts';

export interface TestStageContext extends StageContext {
  /** The temp folder holding outDir, checkpointDir and logFile; also the default recipeDir. */
  root: string;
  /** Every log line, prefixed with its level: `info: ...` or `warn: ...`. */
  logLines: string[];
  updates: ProgressUpdate[];
  abortController: AbortController;
  /** Removes the temp folder. */
  dispose(): Promise<void>;
}

/** A context over a fresh temp folder; anything in `overrides` replaces the default. */
export async function makeStageContext(overrides: Partial<StageContext> = {}): Promise<TestStageContext> {
  const root = await tempDir('tempa-stage-');
  const outDir = join(root, 'out');
  const checkpointDir = join(root, 'checkpoint');
  await mkdir(outDir);
  await mkdir(checkpointDir);
  const seed = overrides.seed ?? 1234;
  const logLines: string[] = [];
  const updates: ProgressUpdate[] = [];
  const abortController = new AbortController();
  const ctx: TestStageContext = {
    stage: 'test-stage',
    inputs: {},
    outDir,
    checkpointDir,
    logFile: join(root, 'stage.log'),
    recipeDir: root,
    seed,
    random: seededRandom(seed),
    runtime: { backend: 'cpu' },
    upstream: [],
    log: {
      info: (message) => void logLines.push(`info: ${message}`),
      warn: (message) => void logLines.push(`warn: ${message}`),
    },
    signal: abortController.signal,
    progress: (update) => void updates.push(update),
    spawn: () => Promise.reject(new Error('spawn is not available in unit tests')),
    ...overrides,
    root,
    logLines,
    updates,
    abortController,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
  return ctx;
}

/**
 * An input artifact over existing paths: one file gives kind 'file', several give 'files', and a single
 * folder gives 'dir' with every file under it. The hash is a dummy.
 */
export function inputFrom(paths: string[]): InputArtifact {
  const absolute = paths.map((p) => resolve(p));
  const [first] = absolute;
  if (first === undefined) throw new Error('inputFrom needs at least one path');
  if (absolute.length === 1 && statSync(first).isDirectory()) {
    const files = readdirSync(first, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    return { kind: 'dir', path: first, files, hash: 'test-hash' };
  }
  const files = [...absolute].sort();
  if (files.length === 1) return { kind: 'file', path: first, files, hash: 'test-hash' };
  return { kind: 'files', path: commonDir(files), files, hash: 'test-hash' };
}

const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true });

/**
 * Runs a stage the way the engine does: params are validated against the stage's schema (Ajv strict,
 * defaults filled in) before run() sees them. Invalid params throw with Ajv's message.
 */
export async function runStage<P>(
  stage: { schema: unknown; run(ctx: StageContext, params: P): Promise<StageResult> },
  ctx: StageContext,
  raw: Record<string, unknown> = {},
): Promise<StageResult> {
  const params = structuredClone(raw);
  const validate = ajv.compile(stage.schema as object);
  if (!validate(params)) throw new Error(`invalid params: ${ajv.errorsText(validate.errors)}`);
  return stage.run(ctx, params as P);
}
