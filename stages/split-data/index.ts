// split-data: divides a JSONL file of canonical records into train / valid / (test) by hashing each record's
// key with the seed, so the split is reproducible, independent of record order, and keeps key groups whole.
import { createReadStream } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { errDataInvalid, PipelineError } from '../../engine/errors.ts';
import { defineStage, type OutputSpec } from '../../engine/stage.ts';
import { canonicalJson } from '../shared/data/canonical-record.ts';
import { openLineWriter, type LineWriter } from '../shared/data/line-writer.ts';
import { assignSplit, type SplitName } from './assign-split.ts';
import { splitDataSchema } from './schema.ts';

const FILES: Record<SplitName, string> = { train: 'train.jsonl', valid: 'valid.jsonl', test: 'test.jsonl' };

export default defineStage({
  name: 'split-data',
  version: 1,
  description: 'Split canonical records into train, valid and optional test sets by a seeded hash',
  schema: splitDataSchema,
  inputs: () => ({ records: { kind: 'file', description: 'JSONL of canonical records, as load-data writes' } }),
  outputs: (params) => {
    const outputs: Record<string, OutputSpec> = {
      train: { kind: 'file', description: `${FILES.train}: records for training` },
      valid: { kind: 'file', description: `${FILES.valid}: records for validation` },
    };
    if ((params.testFraction ?? 0) > 0) outputs.test = { kind: 'file', description: `${FILES.test}: held-out records` };
    return outputs;
  },
  async run(ctx, params) {
    const { validFraction, testFraction, key } = params;
    if (validFraction + testFraction >= 1) {
      throw new PipelineError(
        'RECIPE_INVALID',
        `validFraction + testFraction must be below 1, got ${validFraction} + ${testFraction} = ${validFraction + testFraction}`,
        { hint: 'lower `validFraction` or `testFraction` so some records are left for training' },
      );
    }
    const input = ctx.inputs.records;
    const [file, ...extra] = input?.files ?? [];
    if (file === undefined || extra.length > 0) {
      const got = `${input?.files.length ?? 0} files`;
      throw new PipelineError('RECIPE_INVALID', `split-data needs one JSONL file as input \`records\`, got ${got}`, {
        hint: 'bind `records` to a load-data output, e.g. `inputs: { records: load.records }`',
      });
    }
    const relFile = relative(ctx.recipeDir, file).split(sep).join('/');
    const names: SplitName[] = testFraction > 0 ? ['train', 'valid', 'test'] : ['train', 'valid'];
    const writers = new Map<SplitName, LineWriter>(names.map((name) => [name, openLineWriter(join(ctx.outDir, FILES[name]))]));
    const counts: Record<SplitName, number> = { train: 0, valid: 0, test: 0 };
    const stream = createReadStream(file, { signal: ctx.signal });
    try {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      let lineNo = 0;
      for await (const line of lines) {
        lineNo += 1;
        if (lineNo % 4096 === 0) ctx.signal.throwIfAborted();
        if (line.trim() === '') continue;
        const keyText = key === undefined ? line : keyTextOf(line, key, relFile, lineNo);
        const split = assignSplit(ctx.seed, keyText, validFraction, testFraction);
        await writers.get(split)?.write(line);
        counts[split] += 1;
      }
      for (const writer of writers.values()) await writer.close();
    } catch (error) {
      for (const writer of writers.values()) writer.destroy();
      throw error;
    } finally {
      stream.destroy();
    }
    ctx.progress({ step: 1, total: 1, metrics: counts });
    const total = counts.train + counts.valid + counts.test;
    ctx.log.info(`split ${total} records: ${counts.train} train, ${counts.valid} valid, ${counts.test} test`);
    const artifacts = Object.fromEntries(names.map((name) => [name, FILES[name]]));
    return { metrics: { ...counts }, artifacts };
  },
});

const INPUT_HINT = 'split-data reads the records.jsonl that load-data writes';

/** A string key is hashed as itself; any other value as its canonical JSON. */
function keyTextOf(line: string, key: string, relFile: string, lineNo: number): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw errDataInvalid(relFile, lineNo, `not valid JSON: ${reason}`, INPUT_HINT);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw errDataInvalid(relFile, lineNo, 'expected a JSON object', INPUT_HINT);
  }
  const value = (record as Record<string, unknown>)[key];
  if (!Object.hasOwn(record, key) || value === undefined) {
    const hint = 'every record needs the `key` field: pick one they all have, or drop `key` to split by whole record';
    throw errDataInvalid(relFile, lineNo, `record has no field \`${key}\` to split by`, hint);
  }
  return typeof value === 'string' ? value : canonicalJson(value);
}
