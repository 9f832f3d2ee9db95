// The one JSONL reader: which lines are rows, what each malformed-row policy does with the rest, and
// how errors name the file and line.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../../engine/errors.ts';
import { readJsonl, type MalformedLine } from '../../../../stages/shared/data/jsonl.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

const badJsonMessage = (text: string) => {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parses`);
};

// line 1 BOM + object, 2 blank, 3 bad JSON, 4 array, 5 object (CRLF before it), 6 not UTF-8, 7 null, 8 object
const CONTENT = Buffer.concat([
  Buffer.from('\uFEFF{"a":1}\n   \n{"a":\n[1,2]\r\n{"b": "two"}\n'),
  Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
  Buffer.from('null\n{"c":3}'),
]);

async function file(content: Buffer | string = CONTENT): Promise<string> {
  const path = join(await tempDir('tempa-jsonl-'), 'rows.jsonl');
  await writeFile(path, content);
  return path;
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

const EXPECTED_BAD: MalformedLine[] = [
  { line: 3, malformed: `not valid JSON: ${badJsonMessage('{"a":')}` },
  { line: 4, malformed: 'expected a JSON object, got array' },
  { line: 6, malformed: 'not valid UTF-8' },
  { line: 7, malformed: 'expected a JSON object, got null' },
];

describe('readJsonl', () => {
  it('yields objects with their line and text, skipping blank lines; yield hands malformed lines over in order', async () => {
    const items = await collect(readJsonl(await file(), { onMalformed: 'yield' }));
    assert.deepEqual(items, [
      { line: 1, text: '{"a":1}', record: { a: 1 } },
      EXPECTED_BAD[0],
      EXPECTED_BAD[1],
      { line: 5, text: '{"b": "two"}', record: { b: 'two' } },
      EXPECTED_BAD[2],
      EXPECTED_BAD[3],
      { line: 8, text: '{"c":3}', record: { c: 3 } },
    ]);
  });

  it('skip passes over malformed lines and tells onSkip about each', async () => {
    const skipped: MalformedLine[] = [];
    const rows = await collect(readJsonl(await file(), { onMalformed: 'skip', onSkip: (bad) => void skipped.push(bad) }));
    assert.deepEqual(rows.map((r) => r.line), [1, 5, 8]);
    assert.deepEqual(skipped, EXPECTED_BAD);
  });

  it('error (the default) stops at the first malformed line, named by displayName:line, with the hint', async () => {
    const options = { displayName: 'data/rows.jsonl', hint: 'fix it' };
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const row of readJsonl(await file(), options)) seen.push(row.line);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof PipelineError);
        assert.equal(error.code, 'DATA_INVALID');
        assert.equal(error.message, `data/rows.jsonl:3: ${EXPECTED_BAD[0]!.malformed}`);
        assert.equal(error.hint, 'fix it');
        assert.deepEqual(error.location, { file: 'data/rows.jsonl', line: 3, col: 1 });
        return true;
      },
    );
    assert.deepEqual(seen, [1]);
    const path = await file('{"ok":true}\n"text"\n');
    await assert.rejects(collect(readJsonl(path)), { code: 'DATA_INVALID', message: `${path}:2: expected a JSON object, got string` });
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(collect(readJsonl(await file(), { signal: controller.signal })), { name: 'AbortError' });
  });
});
