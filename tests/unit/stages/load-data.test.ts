// Unit tests for the load-data stage: every format and text unit, the canonical form, the malformed-row
// policy (exact messages with file and line), stats, maxRecords and format detection, on real temp files.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PipelineError } from '../../../engine/errors.ts';
import loadData, { type LoadStats } from '../../../stages/load-data/index.ts';
import { readLines } from '../../../stages/shared/data/read-lines.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((ctx) => ctx.dispose())));

type Files = Record<string, string | Uint8Array>;

/** Writes `files` under <root>/data; one file is the source itself, several make the data folder the source. */
async function prepare(files: Files): Promise<TestStageContext> {
  const ctx = await makeStageContext();
  contexts.push(ctx);
  const paths: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(ctx.root, 'data', name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    paths.push(path);
  }
  ctx.inputs.source = inputFrom(paths.length === 1 ? paths : [join(ctx.root, 'data')]);
  return ctx;
}

async function load(files: Files, params: Record<string, unknown> = {}) {
  const ctx = await prepare(files);
  const result = await runStage(loadData, ctx, params);
  const text = await readFile(join(ctx.outDir, 'records.jsonl'), 'utf8');
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const stats = JSON.parse(await readFile(join(ctx.outDir, 'stats.json'), 'utf8')) as LoadStats;
  return { ctx, result, text, lines, records, stats };
}

/** Runs the stage expecting DATA_INVALID with exactly `message`. */
async function expectDataInvalid(files: Files, params: Record<string, unknown>, message: string) {
  const ctx = await prepare(files);
  await assert.rejects(runStage(loadData, ctx, params), (error: unknown) => {
    assert.ok(error instanceof PipelineError, `expected a PipelineError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.equal(error.code, 'DATA_INVALID');
    return true;
  });
}

function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parsed`);
}

describe('load-data: plain text', () => {
  const corpus = 'First paragraph,\nstill first.\n\n\n   \nSecond one.\r\n\r\nThird\r\nparagraph\n';

  it('splits paragraphs on blank lines and joins their lines with LF', async () => {
    const { records, result } = await load({ 'book.txt': corpus });
    assert.deepEqual(records, [
      { text: 'First paragraph,\nstill first.' },
      { text: 'Second one.' },
      { text: 'Third\nparagraph' },
    ]);
    assert.deepEqual(result.metrics, { records: 3, skipped: 0, empty: 0, files: 1 });
    assert.deepEqual(result.artifacts, { records: 'records.jsonl', stats: 'stats.json' });
  });

  it('makes one record per line, splitting on LF, CRLF and lone CR, and counts blank lines as empty', async () => {
    const { records, result } = await load({ 'lines.md': 'a\r\nb\rc\n\n   \nd' }, { textUnit: 'line' });
    assert.deepEqual(records, [{ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' }]);
    assert.equal(result.metrics.empty, 2);
  });

  it('makes one record per file, normalising CRLF and dropping a blank file', async () => {
    const { records, stats } = await load(
      { 'a.txt': '\uFEFFone\r\ntwo\r\n', 'b.text': ' \n\t\n', 'c.txt': 'three' },
      { textUnit: 'file' },
    );
    assert.deepEqual(records, [{ text: 'one\ntwo\n' }, { text: 'three' }]);
    assert.deepEqual(
      stats.files.map((f) => [f.path, f.records, f.empty]),
      [
        ['data/a.txt', 1, 0],
        ['data/b.text', 0, 1],
        ['data/c.txt', 1, 0],
      ],
    );
  });

  it('reports invalid UTF-8 with its line, in every text unit', async () => {
    const bytes = Buffer.concat([Buffer.from('fine\nalso fine\n\nbroken '), Buffer.from([0xff, 0xfe]), Buffer.from('\nend\n')]);
    for (const textUnit of ['line', 'paragraph', 'file']) {
      await expectDataInvalid({ 'bad.txt': bytes }, { textUnit }, 'data/bad.txt:4: not valid UTF-8');
    }
  });

  it('skips an invalid paragraph whole under onMalformed: skip', async () => {
    const bytes = Buffer.concat([Buffer.from('keep\n\nlose '), Buffer.from([0xc3]), Buffer.from('\nlose too\n\nkeep 2\n')]);
    const { records, result, ctx } = await load({ 'bad.txt': bytes }, { onMalformed: 'skip' });
    assert.deepEqual(records, [{ text: 'keep' }, { text: 'keep 2' }]);
    assert.equal(result.metrics.skipped, 1);
    assert.deepEqual(ctx.logLines.filter((l) => l.startsWith('warn')), [
      'warn: data/bad.txt: skipped 1 malformed row (first at line 3)',
    ]);
  });
});

describe('load-data: JSONL', () => {
  it('writes the canonical form: sorted keys at every depth, NFC strings and keys, LF line ends', async () => {
    const decomposed = 'cafe\u0301'; // "café" as e + combining acute
    const row = { zeta: 1, '10': 'ten', '2': 'two', [decomposed]: { y: [{ b: 2, a: 1 }], x: 'line\r\nnext\rlast' } };
    const { lines } = await load({ 'rows.jsonl': `\uFEFF${JSON.stringify(row)}\n\n{"text":"${decomposed}"}\n` });
    assert.deepEqual(lines, [
      '{"10":"ten","2":"two","caf\u00e9":{"x":"line\\nnext\\nlast","y":[{"a":1,"b":2}]},"zeta":1}',
      '{"text":"caf\u00e9"}',
    ]);
  });

  it('drops records whose values are all blank and counts them', async () => {
    const { records, result, stats } = await load({
      'rows.ndjson': '{"text":"  \\n "}\n{}\n{"text":"", "label": 0}\n{"a":null,"b":" "}\n{"text":"ok"}\n',
    });
    assert.deepEqual(records, [{ label: 0, text: '' }, { text: 'ok' }]);
    assert.equal(result.metrics.empty, 3);
    assert.equal(stats.empty, 3);
  });

  it('fails on a line that is not JSON, naming file, line and the parser message', async () => {
    const bad = '{"text": }';
    await expectDataInvalid(
      { 'rows.jsonl': `{"text":"a"}\n\n${bad}\n` },
      {},
      `data/rows.jsonl:3: not valid JSON: ${jsonParseMessage(bad)}`,
    );
  });

  it('fails on JSON that is not an object', async () => {
    await expectDataInvalid({ 'rows.jsonl': '{"a":1}\n[1,2]\n' }, {}, 'data/rows.jsonl:2: expected a JSON object, got array');
    await expectDataInvalid({ 'rows.jsonl': '"text"\n' }, {}, 'data/rows.jsonl:1: expected a JSON object, got string');
  });

  it('skips and counts malformed rows, warning once per file with the first bad line', async () => {
    const { records, result, stats, ctx } = await load(
      {
        'a.jsonl': '{"t":1}\n{"t":2}\nnope\n{"t":3}\n[4]\n',
        'b.jsonl': '{"t":5}\n{bad\n',
      },
      { onMalformed: 'skip' },
    );
    assert.deepEqual(records, [{ t: 1 }, { t: 2 }, { t: 3 }, { t: 5 }]);
    assert.deepEqual(result.metrics, { records: 4, skipped: 3, empty: 0, files: 2 });
    assert.deepEqual(
      stats.files.map((f) => [f.path, f.records, f.skipped]),
      [
        ['data/a.jsonl', 3, 2],
        ['data/b.jsonl', 1, 1],
      ],
    );
    assert.deepEqual(ctx.logLines.filter((l) => l.startsWith('warn')), [
      'warn: data/a.jsonl: skipped 2 malformed rows (first at line 3)',
      'warn: data/b.jsonl: skipped 1 malformed row (first at line 2)',
    ]);
  });

  it('keeps only `fields`, and treats a row missing one as malformed', async () => {
    const rows = '{"prompt":"p1","response":"r1","meta":1}\n{"prompt":"p2"}\n';
    const { records, result } = await load({ 'sft.jsonl': rows }, { fields: ['prompt', 'response'], onMalformed: 'skip' });
    assert.deepEqual(records, [{ prompt: 'p1', response: 'r1' }]);
    assert.equal(result.metrics.skipped, 1);
    await expectDataInvalid({ 'sft.jsonl': rows }, { fields: ['prompt', 'response'] }, 'data/sft.jsonl:2: missing field `response`');
  });
});

describe('load-data: CSV and TSV', () => {
  it('reads a header row and quoted fields with commas, quotes and newlines', async () => {
    const csv = 'text,label\r\nplain,1\r\n"with, comma",2\r\n"say ""hi""\r\nnext line",3\r\n\r\nlast,4\r\n';
    const { records } = await load({ 'data.csv': csv });
    assert.deepEqual(records, [
      { label: '1', text: 'plain' },
      { label: '2', text: 'with, comma' },
      { label: '3', text: 'say "hi"\nnext line' },
      { label: '4', text: 'last' },
    ]);
  });

  it('reads .tsv with a tab delimiter, and honours csvDelimiter', async () => {
    const tsv = await load({ 'data.tsv': 'a\tb\nx, y\t2\n' });
    assert.deepEqual(tsv.records, [{ a: 'x, y', b: '2' }]);
    const semi = await load({ 'data.csv': 'a;b\n1;2\n' }, { csvDelimiter: ';' });
    assert.deepEqual(semi.records, [{ a: '1', b: '2' }]);
  });

  it('fails on a row with the wrong number of columns at its first line', async () => {
    // The quoted field spans lines 2-3 and a blank line is 4, so the bad row spans lines 5-6.
    const csv = 'text,label\n"two\nlines",1\n\n"bad\nrow"\nok,2\n';
    await expectDataInvalid({ 'rows.csv': csv }, {}, 'data/rows.csv:5: expected 2 columns (as in the header), got 1');
    // csv-parse counts a CRLF inside quotes as two lines; ours counts it as one.
    const crlf = 'text,label\r\n"two\r\nlines",1\r\nshort\r\n';
    await expectDataInvalid({ 'rows.csv': crlf }, {}, 'data/rows.csv:4: expected 2 columns (as in the header), got 1');
    await expectDataInvalid({ 'rows.csv': 'a,b\r\n1,2\r\n1,2,3\r\n' }, {}, 'data/rows.csv:3: expected 2 columns (as in the header), got 3');
  });

  it('skips rows with the wrong column count and counts them', async () => {
    const { records, result, ctx } = await load({ 'rows.csv': 'a,b\n1\n2,2\n3,3,3\n' }, { onMalformed: 'skip' });
    assert.deepEqual(records, [{ a: '2', b: '2' }]);
    assert.equal(result.metrics.skipped, 2);
    assert.ok(ctx.logLines.includes('warn: data/rows.csv: skipped 2 malformed rows (first at line 2)'));
  });

  it('fails on broken quoting with the line csv-parse reports', async () => {
    const ctx = await prepare({ 'q.csv': 'a,b\n1,"x"y\n' });
    await assert.rejects(runStage(loadData, ctx, {}), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.match(error.message, /^data\/q\.csv:2: invalid CSV: Invalid Closing Quote/);
      return true;
    });
  });

  it('fails on a duplicate header column even when skipping malformed rows', async () => {
    await expectDataInvalid({ 'h.csv': 'a,a\n1,2\n' }, { onMalformed: 'skip' }, 'data/h.csv:1: duplicate column `a` in the header row');
  });
});

describe('load-data: Parquet', () => {
  it('reads every row group, turning BigInt into numbers when safe and strings otherwise', async () => {
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'text', data: ['alpha', 'be\u0301ta', 'gamma', null, 'epsilon'], type: 'STRING' },
        { name: 'id', data: [1n, 2n, 9007199254740993n, 4n, -5n], type: 'INT64' },
        { name: 'score', data: [0.5, 1.5, 2.5, 3.5, 4.5], type: 'DOUBLE' },
        { name: 'ok', data: [true, false, true, false, true], type: 'BOOLEAN' },
      ],
      rowGroupSize: 2,
    });
    const { records, result } = await load({ 'rows.parquet': new Uint8Array(parquet) });
    assert.deepEqual(records, [
      { id: 1, ok: true, score: 0.5, text: 'alpha' },
      { id: 2, ok: false, score: 1.5, text: 'b\u00e9ta' },
      { id: '9007199254740993', ok: true, score: 2.5, text: 'gamma' },
      { id: 4, ok: false, score: 3.5, text: null },
      { id: -5, ok: true, score: 4.5, text: 'epsilon' },
    ]);
    assert.equal(result.metrics.records, 5);
  });
});

describe('load-data: files, formats and limits', () => {
  it('reads a folder of mixed formats in sorted order, with per-file stats and progress', async () => {
    const { records, stats, ctx, result } = await load({
      'b/notes.txt': 'from text',
      'a.jsonl': '{"text":"from jsonl"}\n',
      'c.csv': 'text\nfrom csv\n',
    });
    assert.deepEqual(records, [{ text: 'from jsonl' }, { text: 'from text' }, { text: 'from csv' }]);
    assert.deepEqual(stats, {
      records: 3,
      skipped: 0,
      empty: 0,
      files: [
        { path: 'data/a.jsonl', format: 'jsonl', records: 1, skipped: 0, empty: 0 },
        { path: 'data/b/notes.txt', format: 'text', records: 1, skipped: 0, empty: 0 },
        { path: 'data/c.csv', format: 'csv', records: 1, skipped: 0, empty: 0 },
      ],
    });
    assert.equal(result.metrics.files, 3);
    assert.deepEqual(
      ctx.updates.map((u) => [u.step, u.total]),
      [
        [1, 3],
        [2, 3],
        [3, 3],
      ],
    );
  });

  it('rejects an unknown extension naming the file, with a hint to set `format`', async () => {
    const ctx = await prepare({ 'good.txt': 'x', 'dump.log': '{"a":1}\n' });
    await assert.rejects(runStage(loadData, ctx, {}), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'RECIPE_INVALID');
      assert.equal(error.message, 'cannot tell the format of data/dump.log from its extension `.log`');
      assert.match(error.hint ?? '', /set `format`/);
      return true;
    });
  });

  it('reads any extension with an explicit format', async () => {
    const { records } = await load({ 'dump.log': '{"a":1}\n' }, { format: 'jsonl' });
    assert.deepEqual(records, [{ a: 1 }]);
  });

  it('fails when no record comes out (empty data, or every row skipped), unless allowEmpty', async () => {
    await expectDataInvalid({ 'empty.txt': '\n\n' }, {}, 'no records in data/empty.txt: 1 file(s) read, 0 malformed row(s) skipped, 0 empty dropped');
    await expectDataInvalid({ 'bad.jsonl': 'nope\n[1]\n' }, { onMalformed: 'skip' }, 'no records in data/bad.jsonl: 1 file(s) read, 2 malformed row(s) skipped, 0 empty dropped');
    const allowed = await load({ 'empty.txt': '' }, { allowEmpty: true });
    assert.equal(allowed.result.metrics.records, 0);
  });

  it('stops at maxRecords across files', async () => {
    const files = { 'a.jsonl': '{"n":1}\n{"n":2}\n{"n":3}\n', 'b.jsonl': '{"n":4}\n{"n":5}\n{"n":6}\n' };
    const four = await load(files, { maxRecords: 4 });
    assert.deepEqual(four.records.map((r) => r.n), [1, 2, 3, 4]);
    assert.deepEqual(four.stats.files.map((f) => f.records), [3, 1]);
    const three = await load(files, { maxRecords: 3 });
    assert.equal(three.result.metrics.records, 3);
    assert.equal(three.result.metrics.files, 1);
    assert.ok(three.ctx.logLines.includes('info: reached maxRecords (3); 1 file(s) not read'));
  });

  it('stops when the run is aborted', async () => {
    const ctx = await prepare({ 'a.txt': 'x' });
    ctx.abortController.abort();
    await assert.rejects(runStage(loadData, ctx, {}), { name: 'AbortError' });
  });

  it('rejects params the schema does not allow', async () => {
    const ctx = await prepare({ 'a.txt': 'x' });
    await assert.rejects(runStage(loadData, ctx, { format: 'xml' }), /must be equal to one of the allowed values/);
    await assert.rejects(runStage(loadData, ctx, { textUnits: 'line' }), /must NOT have additional properties/);
  });
});

describe('readLines', () => {
  it('splits CRLF and multi-byte characters that straddle read chunks', async () => {
    const ctx = await makeStageContext();
    contexts.push(ctx);
    const chunk = 64 * 1024; // createReadStream's default highWaterMark
    const first = 'x'.repeat(chunk - 1); // its CR is the chunk's last byte, the LF the next chunk's first
    const second = `${'y'.repeat(chunk - 2)}\u00e9`; // the 2-byte é straddles the next boundary
    const file = join(ctx.root, 'big.txt');
    await writeFile(file, `${first}\r\n${second}\rz\r\n`);
    const lines: Array<string | null> = [];
    for await (const { text } of readLines(file)) lines.push(text);
    assert.deepEqual(lines, [first, second, 'z']);
  });
});
