// The left-padded KV-cache decode checked on any backend: prompts of different lengths in one batch
// give each row the logits it gets decoded alone, through prefill, single steps and rows leaving the
// batch; and the padding never receives attention (other pad ids give bit-identical logits).
import assert from 'node:assert/strict';
import type { TF } from '../../../../stages/shared/backend/tf.ts';
import type { GPTConfig } from '../../../../stages/shared/model/config.ts';
import { createKVCache, disposeKVCache, forwardStep, retainKVCacheRows, type GPTParams } from '../../../../stages/shared/model/gpt.ts';
import { relativeError } from './tiny.ts';

const PROMPTS = [[3, 1, 4], [1, 5, 9, 2, 6, 5], [3], [5, 8, 9, 7, 9]];
/** Tokens fed after the prompts, one per step (teacher-forced, so both sides see the same ids). */
const NEXT = [[2, 6, 5, 3, 5], [8, 9, 7, 9, 3], [2, 3, 8, 4, 6], [2, 6, 4, 3, 3]];
/** Row 1 leaves the batch after this step, then row 3: as rows do when they emit the end token. */
const LEAVE: Record<number, number> = { 1: 1, 3: 3 };

/** Last-position logits of each step of one row decoded alone, prompt then NEXT. */
function alone(tf: TF, params: GPTParams, config: GPTConfig, b: number): Float32Array[] {
  const cache = createKVCache(config, 1);
  const steps = [PROMPTS[b]!, ...NEXT[b]!.map((id) => [id])].map((ids) => {
    const idx = tf.tensor2d(ids, [1, ids.length], 'int32');
    const logits = forwardStep(tf, params, config, idx, cache);
    const data = logits.dataSync() as Float32Array;
    tf.dispose([idx, logits]);
    return data;
  });
  disposeKVCache(cache);
  return steps;
}

/** The same rows decoded together, left-padded with `pad`; logits per step by prompt index. */
function together(tf: TF, params: GPTParams, config: GPTConfig, pad: number): Map<number, Float32Array[]> {
  const longest = Math.max(...PROMPTS.map((p) => p.length));
  const pads = PROMPTS.map((p) => longest - p.length);
  const cache = createKVCache(config, PROMPTS.length, pads);
  const out = new Map<number, Float32Array[]>(PROMPTS.map((_, b) => [b, []]));
  let rows = PROMPTS.map((_, b) => b);
  let ids = PROMPTS.map((p, b) => [...new Array<number>(pads[b]!).fill(pad), ...p]);
  for (let step = 0; step <= NEXT[0]!.length; step++) {
    const idx = tf.tensor2d(ids, [rows.length, ids[0]!.length], 'int32');
    const logits = forwardStep(tf, params, config, idx, cache);
    const data = logits.dataSync() as Float32Array;
    rows.forEach((b, r) => out.get(b)!.push(data.slice(r * config.vocabSize, (r + 1) * config.vocabSize)));
    tf.dispose([idx, logits]);
    const leaving = Object.entries(LEAVE).filter(([, s]) => s === step).map(([b]) => Number(b));
    if (leaving.length > 0) {
      retainKVCacheRows(tf, config, cache, rows.flatMap((b, r) => (leaving.includes(b) ? [] : [r])));
      rows = rows.filter((b) => !leaving.includes(b));
    }
    ids = rows.map((b) => [NEXT[b]![step] ?? 0]);
  }
  disposeKVCache(cache);
  return out;
}

/** `tolerance`: relative error allowed between a row decoded with others and alone (batch shapes change the sums' order). */
export function checkPaddedDecode(tf: TF, params: GPTParams, config: GPTConfig, tolerance: number): void {
  const before = tf.memory().numTensors;
  const batched = together(tf, params, config, 0);
  PROMPTS.forEach((_, b) => {
    const expected = alone(tf, params, config, b);
    const got = batched.get(b)!;
    assert.equal(got.length, b in LEAVE ? LEAVE[b]! + 1 : expected.length, `row ${b}: steps decoded`);
    got.forEach((logits, step) => {
      const error = relativeError(logits, expected[step]!);
      assert.ok(error < tolerance, `row ${b} (prompt of ${PROMPTS[b]!.length}), step ${step}: relative error ${error}`);
    });
  });
  const otherPad = together(tf, params, config, config.vocabSize - 1);
  for (const [b, steps] of batched) steps.forEach((logits, step) => assert.deepEqual(otherPad.get(b)![step], logits, `row ${b} step ${step}: the pad id changed the logits`));
  assert.equal(tf.memory().numTensors, before, 'padded decoding leaves no tensors behind');
}
