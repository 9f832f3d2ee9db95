// Resumable training checkpoints: the weights, the optimizer state and the loop's state (step, curve,
// whatever a stage adds), swapped in atomically so a kill mid-write leaves the previous one intact.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../model/safetensors.ts';

export interface TrainingCheckpoint {
  weights: Record<string, NamedTensor>;
  optimizer: Record<string, NamedTensor>;
  /** Plain JSON: step, loss history, anything the trainer needs to continue exactly. */
  state: { step: number } & Record<string, unknown>;
}

const LATEST = 'latest';

/** Writes into a fresh folder, then swaps it in for `latest` with renames. */
export async function writeTrainingCheckpoint(checkpointDir: string, checkpoint: TrainingCheckpoint): Promise<void> {
  const staging = path.join(checkpointDir, `staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeSafetensors(path.join(staging, 'weights.safetensors'), checkpoint.weights);
  await writeSafetensors(path.join(staging, 'optimizer.safetensors'), checkpoint.optimizer);
  await writeFile(path.join(staging, 'state.json'), `${JSON.stringify(checkpoint.state)}\n`);
  const latest = path.join(checkpointDir, LATEST);
  const previous = path.join(checkpointDir, `previous-${process.pid}`);
  if (existsSync(latest)) await rename(latest, previous);
  await rename(staging, latest);
  await rm(previous, { recursive: true, force: true });
}

/** The last complete checkpoint, or undefined. A `previous-*` folder means a swap was cut short. */
export async function readTrainingCheckpoint(checkpointDir: string): Promise<TrainingCheckpoint | undefined> {
  let dir = path.join(checkpointDir, LATEST);
  if (!existsSync(path.join(dir, 'state.json'))) {
    const previous = (await readdir(checkpointDir).catch(() => [] as string[])).find((n) => n.startsWith('previous-'));
    if (!previous) return undefined;
    dir = path.join(checkpointDir, previous);
  }
  const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as TrainingCheckpoint['state'];
  const weights = (await readSafetensors(path.join(dir, 'weights.safetensors'))).tensors;
  const optimizer = (await readSafetensors(path.join(dir, 'optimizer.safetensors'))).tensors;
  return { weights, optimizer, state };
}
