// split-data: divides a JSONL file of canonical records into train / valid / (test) by hashing each record's
// key with the seed, so the split is reproducible, independent of record order, and keeps key groups whole.
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { errDataInvalid, PipelineError } from '../../engine/errors.ts';
import { sourcesFileFor } from '../../engine/provenance.ts';
import { defineStage, type OutputSpec } from '../../engine/stage.ts';
import { canonicalJson } from '../shared/data/canonical-record.ts';
import { readJsonl } from '../shared/data/jsonl.ts';
import { openLineWriter, type LineWriter } from '../shared/data/line-writer.ts';
import { readLines } from '../shared/data/read-lines.ts';
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
    // Each split keeps its records' sources beside it (engine/provenance.ts): copied from the input's, or
    // the input file itself when it is the user's.
    const sourceWriters = new Map<SplitName, LineWriter>(names.map((name) => [name, openLineWriter(sourcesFileFor(join(ctx.outDir, FILES[name])))]));
    const sourceOf = inputSources(file, input!.from === undefined ? relFile : undefined);
    const counts: Record<SplitName, number> = { train: 0, valid: 0, test: 0 };
    try {
      for await (const { line, text, record } of readJsonl(file, { signal: ctx.signal, displayName: relFile, hint: INPUT_HINT })) {
        if (line % 4096 === 0) ctx.signal.throwIfAborted();
        const keyText = key === undefined ? text : keyTextOf(record, key, relFile, line);
        const split = assignSplit(ctx.seed, keyText, validFraction, testFraction);
        await writers.get(split)?.write(text);
        await sourceWriters.get(split)?.write(await sourceOf(line));
        counts[split] += 1;
      }
      for (const writer of [...writers.values(), ...sourceWriters.values()]) await writer.close();
    } catch (error) {
      for (const writer of [...writers.values(), ...sourceWriters.values()]) writer.destroy();
      throw error;
    }
    ctx.progress({ step: 1, total: 1, metrics: counts });
    const total = counts.train + counts.valid + counts.test;
    ctx.log.info(`split ${total} records: ${counts.train} train, ${counts.valid} valid, ${counts.test} test`);
    const artifacts = Object.fromEntries(names.map((name) => [name, FILES[name]]));
    return { metrics: { ...counts }, artifacts };
  },
});

const INPUT_HINT = 'split-data reads the records.jsonl that load-data writes';

/**
 * The source line of each input line, read in step with it: from the input's own sidecar, or naming
 * `userFile` (a dataset: the user's own file); `{}` (unknown) for an upstream output without one.
 */
function inputSources(file: string, userFile: string | undefined): (line: number) => Promise<string> {
  if (userFile !== undefined) return async (line) => JSON.stringify({ file: userFile, line });
  const sidecar = sourcesFileFor(file);
  if (!existsSync(sidecar)) return async () => '{}';
  const lines = readLines(sidecar)[Symbol.asyncIterator]();
  let at = 0;
  let text: string | null = '{}';
  return async (line) => {
    while (at < line) {
      const next = await lines.next();
      if (next.done) return '{}';
      at = next.value.line;
      text = next.value.text;
    }
    return text ?? '{}';
  };
}

/** A string key is hashed as itself; any other value as its canonical JSON. */
function keyTextOf(record: Record<string, unknown>, key: string, relFile: string, lineNo: number): string {
  const value = record[key];
  if (!Object.hasOwn(record, key) || value === undefined) {
    const hint = 'every record needs the `key` field: pick one they all have, or drop `key` to split by whole record';
    throw errDataInvalid(relFile, lineNo, `record has no field \`${key}\` to split by`, hint);
  }
  return typeof value === 'string' ? value : canonicalJson(value);
}
