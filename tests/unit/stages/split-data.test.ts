// Unit tests for the split-data stage: seeded hash assignment is deterministic and order-independent,
// fractions hold on a realistic count, `key` keeps groups whole, and bad fractions or records are reported.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { splitFraction } from '../../../stages/split-data/assign-split.ts';
import splitData from '../../../stages/split-data/index.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((ctx) => ctx.dispose())));

/** 2,000 canonical records; record i belongs to user `u{i % 100}`. */
const RECORDS = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `record number ${i}`, user: `u${i % 100}` }));

async function split(lines: string[], params: Record<string, unknown> = {}, seed = 7) {
  const ctx = await makeStageContext({ seed });
  contexts.push(ctx);
  const file = join(ctx.root, 'records.jsonl');
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
  ctx.inputs.records = inputFrom([file]);
  const result = await runStage(splitData, ctx, params);
  const read = async (name: string) => {
    const text = await readFile(join(ctx.outDir, name), 'utf8');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  };
  const train = await read('train.jsonl');
  const valid = await read('valid.jsonl');
  const test = result.artifacts.test === undefined ? [] : await read('test.jsonl');
  return { ctx, result, train, valid, test };
}

describe('split-data', () => {
  it('gives identical files for the same seed', async () => {
    const a = await split(RECORDS, { testFraction: 0.1 });
    const b = await split(RECORDS, { testFraction: 0.1 });
    for (const name of ['train.jsonl', 'valid.jsonl', 'test.jsonl']) {
      assert.deepEqual(await readFile(join(b.ctx.outDir, name)), await readFile(join(a.ctx.outDir, name)), name);
    }
  });

  it('assigns differently under a different seed', async () => {
    const a = await split(RECORDS, {}, 7);
    const b = await split(RECORDS, {}, 8);
    assert.notDeepEqual(new Set(b.valid), new Set(a.valid));
  });

  it('does not depend on record order', async () => {
    const shuffled = [...RECORDS].reverse();
    shuffled.push(...shuffled.splice(0, 777));
    const a = await split(RECORDS, { testFraction: 0.2 });
    const b = await split(shuffled, { testFraction: 0.2 });
    assert.deepEqual(new Set(b.valid), new Set(a.valid));
    assert.deepEqual(new Set(b.test), new Set(a.test));
  });

  it('roughly respects the fractions and writes every record exactly once', async () => {
    const { train, valid, test, result } = await split(RECORDS, { validFraction: 0.1, testFraction: 0.2 });
    // Binomial sd is about 13 (valid) and 18 (test); the bounds are over 4 sd wide.
    assert.ok(Math.abs(valid.length - 200) <= 60, `valid has ${valid.length}`);
    assert.ok(Math.abs(test.length - 400) <= 80, `test has ${test.length}`);
    assert.deepEqual([...train, ...valid, ...test].sort(), [...RECORDS].sort());
    assert.deepEqual(result.metrics, { train: train.length, valid: valid.length, test: test.length });
  });

  it('keeps records with the same `key` value in the same split', async () => {
    const { train, valid, test } = await split(RECORDS, { key: 'user', validFraction: 0.2, testFraction: 0.2 });
    const splitOf = new Map<string, string>();
    for (const [name, lines] of Object.entries({ train, valid, test })) {
      for (const line of lines) {
        const user = (JSON.parse(line) as { user: string }).user;
        assert.equal(splitOf.get(user) ?? name, name, `user ${user} is in two splits`);
        splitOf.set(user, name);
      }
    }
    assert.equal(splitOf.size, 100);
    assert.equal(valid.length % 20, 0); // whole groups of 20 records
    assert.ok(valid.length > 0 && test.length > 0);
  });

  it('declares and writes a test split only when testFraction > 0', async () => {
    assert.deepEqual(Object.keys(splitData.outputs({ validFraction: 0.1, testFraction: 0 })), ['train', 'valid']);
    assert.deepEqual(Object.keys(splitData.outputs({ validFraction: 0.1, testFraction: 0.1 })), ['train', 'valid', 'test']);
    const { ctx, result } = await split(RECORDS.slice(0, 50));
    assert.deepEqual(result.artifacts, { train: 'train.jsonl', valid: 'valid.jsonl' });
    assert.equal(result.metrics.test, 0);
    await assert.rejects(access(join(ctx.outDir, 'test.jsonl')));
  });

  it('rejects fractions that leave nothing for training', async () => {
    await assert.rejects(split(RECORDS, { validFraction: 0.6, testFraction: 0.4 }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'RECIPE_INVALID');
      assert.equal(error.message, 'validFraction + testFraction must be below 1, got 0.6 + 0.4 = 1');
      assert.match(error.hint ?? '', /lower `validFraction` or `testFraction`/);
      return true;
    });
  });

  it('names file and line of a record without the `key` field', async () => {
    const lines = ['{"user":"a"}', '{"user":"b"}', '{"name":"c"}'];
    await assert.rejects(split(lines, { key: 'user' }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'DATA_INVALID');
      assert.equal(error.message, 'records.jsonl:3: record has no field `user` to split by');
      return true;
    });
  });
});

describe('splitFraction', () => {
  it('is the first 8 bytes of sha256(`${seed}\\n${keyText}`) as a fraction', () => {
    const digest = createHash('sha256').update('42\nhello').digest();
    const expected = Number(digest.readBigUInt64BE(0)) / 2 ** 64;
    assert.ok(Math.abs(splitFraction(42, 'hello') - expected) < 2 ** -52);
  });

  it('is pinned: changing it silently reshuffles every cached split', () => {
    assert.equal(splitFraction(0, '{"text":"a"}'), 0.3314428450841239);
  });
});
