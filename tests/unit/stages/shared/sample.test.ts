// Sampling logic on a mock model (nanochat tests/test_engine.py style): no tensors needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../../engine/rng.ts';
import { generate, sampleToken, sampleTokenWithStats, tokenStats, type DecodeModel } from '../../../../stages/shared/generate/sample.ts';

/** Always predicts (last token + 1) mod V, strongly; records what it was fed, the padding and the rows kept. */
function countingModel(vocabSize: number, maxPositions = 100): DecodeModel & { fed: number[][]; pads: (readonly number[] | undefined)[]; kept: number[][] } {
  const fed: number[][] = [];
  const pads: (readonly number[] | undefined)[] = [];
  const kept: number[][] = [];
  return {
    vocabSize,
    maxPositions,
    fed,
    pads,
    kept,
    retain: (rows) => kept.push([...rows]),
    feed(tokens, batch, length, pad) {
      fed.push(Array.from(tokens));
      pads.push(pad);
      const logits = new Float32Array(batch * vocabSize);
      for (let b = 0; b < batch; b++) logits[b * vocabSize + ((tokens[b * length + length - 1]! + 1) % vocabSize)] = 10;
      return logits;
    },
    dispose() {},
  };
}

describe('sampleToken', () => {
  const logits = Float32Array.from([1, 3, 2, 0]);
  it('temperature 0 is argmax', () => assert.equal(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, Math.random), 1));
  it('top-k 1 is argmax whatever the temperature', () => {
    for (let i = 0; i < 20; i++) assert.equal(sampleToken(logits, { temperature: 5, topK: 1, topP: 1 }, Math.random), 1);
  });
  it('top-p keeps only the nucleus', () => {
    // softmax([1,3,2,0]) ~ [0.087, 0.644, 0.237, 0.032]: top-p 0.7 keeps ids 1 and 2
    const seen = new Set<number>();
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 0, topP: 0.7 }, random));
    assert.deepEqual([...seen].sort(), [1, 2]);
  });
  it('sampling frequencies follow the softmax', () => {
    const random = seededRandom(11);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, random)]!++;
    const expected = [0.087, 0.644, 0.237, 0.032];
    counts.forEach((c, i) => assert.ok(Math.abs(c / 20_000 - expected[i]!) < 0.015, `id ${i}: ${c / 20_000}`));
  });
  it('sampleTokenWithStats draws what sampleToken draws from the same random numbers, with tokenStats\' log-prob and entropy', () => {
    const row = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i * 1.7) * 4);
    const scratch = new Float64Array(row.length);
    for (const options of [{ temperature: 0.7, topK: 0, topP: 1 }, { temperature: 1.3, topK: 5, topP: 1 }, { temperature: 1, topK: 0, topP: 0.8 }, { temperature: 0, topK: 0, topP: 1 }]) {
      const [a, b] = [seededRandom(4), seededRandom(4)];
      for (let i = 0; i < 200; i++) {
        const drawn = sampleTokenWithStats(row, options, a, scratch);
        assert.equal(drawn.id, sampleToken(row, options, b), JSON.stringify(options));
        const expected = tokenStats(row, drawn.id, options.temperature > 0 ? options.temperature : 1);
        assert.ok(Math.abs(drawn.logProb - expected.logProb) < 1e-12 && Math.abs(drawn.entropy - expected.entropy) < 1e-12);
      }
    }
  });
  it('is deterministic for a seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 30 }, () => sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, random));
    };
    assert.deepEqual(draw(5), draw(5));
  });
});

describe('generate', () => {
  it('feeds the prompt once, then one token per step, and stops rows independently', () => {
    const model = countingModel(10);
    const out = generate(model, [[1, 2], [5, 6]], { maxTokens: 5, temperature: 0, topK: 0, topP: 1, stopTokens: [4] }, Math.random);
    assert.deepEqual(out.tokens, [[3, 4], [7, 8, 9, 0, 1]]);
    assert.deepEqual(out.finish, ['stop', 'length']);
    assert.deepEqual(model.fed[0], [1, 2, 5, 6]);
    assert.deepEqual(model.pads, [[0, 0], undefined, undefined, undefined, undefined], 'padding is given with the prompt only');
    assert.deepEqual(model.fed[1], [3, 7]);
    assert.deepEqual(model.kept, [[1]], 'the finished row leaves the batch');
    assert.deepEqual(model.fed.slice(2), [[8], [9], [0]]);
  });

  it('left-pads prompts of different lengths into one batch and keeps each row to its own context room', () => {
    const model = countingModel(10, 5);
    const out = generate(model, [[1], [5, 6, 7], [2, 3]], { maxTokens: 50, temperature: 0, topK: 0, topP: 1, stopTokens: [] }, Math.random);
    assert.deepEqual(model.fed[0], [0, 0, 1, 5, 6, 7, 0, 2, 3]);
    assert.deepEqual(model.pads[0], [2, 0, 1]);
    assert.deepEqual(out.tokens, [[2, 3, 4, 5], [8, 9], [4, 5, 6]], 'each row fills the 5 positions after its own prompt');
    assert.deepEqual(out.finish, ['length', 'length', 'length']);
    assert.deepEqual(model.kept, [[0, 2], [0]], 'rows leave as their room runs out');
  });

  it('skips a row whose prompt fills the context', () => {
    const out = generate(countingModel(10, 3), [[1, 2, 3], [4]], { maxTokens: 5, temperature: 0, topK: 0, topP: 1, stopTokens: [] }, Math.random);
    assert.deepEqual(out.tokens, [[], [5, 6]]);
    assert.deepEqual(out.finish, ['length', 'length']);
  });

  it('returns each token\'s log-prob and its distribution\'s entropy at the temperature', () => {
    const out = generate(countingModel(4), [[1]], { maxTokens: 1, temperature: 2, topK: 0, topP: 1, stopTokens: [], logProbs: true }, seededRandom(1));
    // logits [0, 0, 10, 0] / 2: p = e^5 / (e^5 + 3) for id 2, 1 / (e^5 + 3) for the others.
    const z = Math.exp(5) + 3;
    const p = [1 / z, 1 / z, Math.exp(5) / z, 1 / z];
    const id = out.tokens[0]![0]!;
    assert.ok(Math.abs(out.logProbs![0]![0]! - Math.log(p[id]!)) < 1e-12);
    assert.ok(Math.abs(out.entropies![0]![0]! - -p.reduce((h, q) => h + q * Math.log(q), 0)) < 1e-12);
  });

  it('rejects an empty prompt', () => {
    assert.throws(() => generate(countingModel(10), [[1], []], { maxTokens: 1, temperature: 0, topK: 0, topP: 1, stopTokens: [] }, Math.random), /at least one prompt token/);
  });
});
