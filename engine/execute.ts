// Runs one stage whose key missed the cache: temp folder, context, the plugin's run(), output
// checks, hashing, then the atomic commit. Anything the stage throws becomes STAGE_FAILED.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { FileHasher } from './cache/hash-files.ts';
import type { KeyManifest } from './cache/key.ts';
import type { OutputRecord, RunRecord, Store } from './cache/store.ts';
import { buildContext } from './context.ts';
import { errArtifactMissing, errStageFailed, PipelineError } from './errors.ts';
import type { RunReporter } from './events.ts';
import { relocateDataError } from './provenance.ts';
import type { ResolvedStage } from './recipe/resolve.ts';
import type { InputArtifact, UpstreamStage } from './stage.ts';

export interface ExecuteRequest {
  stage: ResolvedStage;
  key: string;
  manifest: KeyManifest;
  inputs: Record<string, InputArtifact>;
  store: Store;
  signal: AbortSignal;
  reporter: RunReporter;
  runtime: Record<string, unknown>;
  upstream: readonly UpstreamStage[];
  /** Re-hashes dataset inputs after the run: a dataset edited mid-run must not be cached as the old one. */
  recheckInputs: () => Promise<string | undefined>;
  /** A forced rerun: its result replaces the one the store holds for the key. */
  replace?: boolean;
}

export async function executeStage(req: ExecuteRequest): Promise<RunRecord> {
  const { stage, key, store } = req;
  const pending = await store.begin(key);
  const started = performance.now();
  try {
    await mkdir(store.checkpointDir(key), { recursive: true });
    const ctx = buildContext({
      stage: stage.name,
      inputs: req.inputs,
      outDir: pending.outDir,
      checkpointDir: store.checkpointDir(key),
      groupDir: store.groupDir(key),
      logFile: pending.logFile,
      recipeDir: stage.dir,
      seed: stage.seed,
      runtime: req.runtime,
      upstream: req.upstream,
      signal: req.signal,
      reporter: req.reporter,
    });
    const result = await stage.plugin.stage.run(ctx, stage.params);
    req.signal.throwIfAborted();
    const outputs = await collectOutputs(stage, pending.outDir, result.artifacts ?? {});
    const changed = await req.recheckInputs();
    if (changed) {
      throw new PipelineError('STAGE_FAILED', `input ${changed} changed while the stage ran, so its result was not cached`, {
        hint: 'run again once the file has stopped changing',
      });
    }
    const record: RunRecord = {
      key,
      stage: stage.name,
      plugin: { name: stage.plugin.stage.name, version: stage.plugin.stage.version, source: stage.plugin.source },
      manifest: req.manifest,
      outputs,
      metrics: sanitizeMetrics(result.metrics ?? {}),
      info: result.info ?? {},
      durationMs: Math.round(performance.now() - started),
      createdAt: new Date().toISOString(),
    };
    return await store.commit(pending, record, req.replace);
  } catch (error) {
    await store.discard(pending);
    if (req.signal.aborted) throw new PipelineError('STAGE_FAILED', `[stage ${stage.name}] interrupted`, { stage: stage.name, hint: 'nothing was cached for it; checkpoints are kept for the next run' });
    throw errStageFailed(stage.name, await relocateDataError(error, stage.dir, req.inputs));
  }
}

async function collectOutputs(stage: ResolvedStage, outDir: string, artifacts: Record<string, string>): Promise<Record<string, OutputRecord>> {
  // No stat memo here: these temp paths are renamed away on commit.
  const hasher = new FileHasher();
  const outputs: Record<string, OutputRecord> = {};
  for (const [name, spec] of Object.entries(stage.outputs)) {
    const rel = artifacts[name];
    if (rel === undefined) throw errArtifactMissing(stage.name, name, 'run() did not return it in `artifacts`');
    const full = path.resolve(outDir, rel);
    if (full !== outDir && !full.startsWith(outDir + path.sep)) throw errArtifactMissing(stage.name, name, `\`${rel}\` is outside the output folder`);
    if (!existsSync(full)) throw errArtifactMissing(stage.name, name, `\`${rel}\` was not written`);
    // A symlink out of the folder would cache (and hand downstream) files the stage does not own.
    const real = realpathSync(full);
    const realOut = realpathSync(outDir);
    if (real !== realOut && !real.startsWith(realOut + path.sep)) throw errArtifactMissing(stage.name, name, `\`${rel}\` is a symlink out of the output folder (to ${real})`);
    const isDir = statSync(full).isDirectory();
    if (isDir !== (spec.kind === 'dir')) throw errArtifactMissing(stage.name, name, `\`${rel}\` is a ${isDir ? 'folder' : 'file'}, declared ${spec.kind}`);
    const files = isDir ? await listFiles(full) : [full];
    const hashed = await hasher.hashArtifact(full, files);
    const sizes: Record<string, number> = {};
    for (const [i, file] of files.entries()) sizes[Object.keys(hashed.files)[i]!] = statSync(file).size;
    outputs[name] = { kind: spec.kind, path: path.relative(outDir, full), hash: hashed.hash, files: hashed.files, sizes };
  }
  return outputs;
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function sanitizeMetrics(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
