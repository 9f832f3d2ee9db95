// Saves and loads a BpeModel as a Hugging Face tokenizer.json, so other tools (HF `tokenizers`,
// transformers, transformers.js) load our tokenizer and reproduce our ids without tempa.
import { PipelineError } from '../../../engine/errors.ts';
import type { BpeModel } from './bpe.ts';
import { byteLevelToBytes, bytesToByteLevel } from './byte-level.ts';

const utf8 = new TextEncoder();

/**
 * The tokenizer.json text: a BPE model over ByteLevel strings, our split regex run before a ByteLevel
 * pre-tokenizer that only maps bytes (use_regex false), and the specials as added tokens. Vocab and merges
 * are written in id and rank order, one per line, so the file is deterministic and diffs well.
 * HF tools always read special-token text in input as the special token, like our `allowSpecial: true`.
 */
export function toHfJson(model: BpeModel): string {
  const specialText = new Map(model.specials.map((s) => [s.id, s.content]));
  const tokenText = (id: number) => specialText.get(id) ?? bytesToByteLevel(model.tokens[id]!);
  const document = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...model.specials]
      .sort((x, y) => x.id - y.id)
      .map(({ id, content }) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: model.pattern }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: '@VOCAB@',
      merges: '@MERGES@',
    },
  };
  const vocab = model.tokens.map((_, id) => `      ${JSON.stringify(tokenText(id))}: ${id}`);
  const merges = model.merges.map(([a, b]) => `      ${JSON.stringify(`${tokenText(a)} ${tokenText(b)}`)}`);
  // A function replacer: `$` in the inserted text must not be read as a replacement pattern.
  return `${JSON.stringify(document, null, 2)
    .replace('"@VOCAB@"', () => block('{', vocab, '}'))
    .replace('"@MERGES@"', () => block('[', merges, ']'))}\n`;
}

function block(open: string, lines: string[], close: string): string {
  return lines.length === 0 ? `${open}${close}` : `${open}\n${lines.join(',\n')}\n    ${close}`;
}

const HINT = 'tempa reads byte-level BPE tokenizer.json files like the tokenizer stage writes (a Split regex, then ByteLevel)';

/** Parses tokenizer.json text; `file` names it in errors. */
export function fromHfJson(text: string, file = 'tokenizer.json'): BpeModel {
  const fail = (message: string) => new PipelineError('DATA_INVALID', `${file}: ${message}`, { hint: HINT });
  let doc: HfTokenizerJson;
  try {
    doc = JSON.parse(text) as HfTokenizerJson;
  } catch (error) {
    throw fail(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const model = doc.model;
  if (model?.type !== 'BPE' || typeof model.vocab !== 'object' || model.vocab === null || !Array.isArray(model.merges)) {
    throw fail('expected `model` of type BPE with `vocab` and `merges`');
  }
  if (doc.normalizer != null) throw fail('a normalizer is not supported');
  const pattern = splitPattern(doc.pre_tokenizer);
  if (pattern === undefined) throw fail('expected pre_tokenizer Sequence [Split {Regex}, ByteLevel {use_regex: false}]');

  const tokens: Uint8Array[] = [];
  const idOf = new Map<string, number>();
  const place = (id: number, bytes: Uint8Array, what: string) => {
    if (!Number.isInteger(id) || id < 0) throw fail(`${what} has invalid id ${id}`);
    if (tokens[id] !== undefined) throw fail(`id ${id} is used twice (again by ${what})`);
    tokens[id] = bytes;
  };
  const specials = (doc.added_tokens ?? []).map(({ id, content }) => ({ id, content }));
  for (const { id, content } of specials) {
    place(id, utf8.encode(content), `added token ${JSON.stringify(content)}`);
    idOf.set(content, id);
  }
  for (const [token, id] of Object.entries(model.vocab)) {
    if (idOf.get(token) === id) continue; // a special listed in the vocab too
    const bytes = byteLevelToBytes(token);
    if (bytes === undefined) throw fail(`vocab entry ${JSON.stringify(token)} is not a ByteLevel string`);
    place(id, bytes, `vocab entry ${JSON.stringify(token)}`);
    idOf.set(token, id);
  }
  const gap = Array.from({ length: tokens.length }, (_, id) => id).find((id) => tokens[id] === undefined);
  if (gap !== undefined) throw fail(`no token has id ${gap}: ids must run from 0 without gaps`);

  const merges = model.merges.map((merge, rank): [number, number] => {
    const [left, right] = typeof merge === 'string' ? splitMerge(merge) : merge;
    const a = left === undefined ? undefined : idOf.get(left);
    const b = right === undefined ? undefined : idOf.get(right);
    if (a === undefined || b === undefined) throw fail(`merge ${rank} (${JSON.stringify(merge)}) names a token not in the vocab`);
    return [a, b];
  });
  return { tokens, merges, specials, pattern };
}

/** Legacy "a b" merge strings; ByteLevel tokens never hold a space (U+0020 is stored as Ġ). */
function splitMerge(merge: string): string[] {
  const parts = merge.split(' ');
  return parts.length === 2 ? parts : [];
}

function splitPattern(pre: HfPreTokenizer | null | undefined): string | undefined {
  const [split, byteLevel, ...rest] = pre?.type === 'Sequence' ? (pre.pretokenizers ?? []) : [];
  if (rest.length > 0 || split?.type !== 'Split' || byteLevel?.type !== 'ByteLevel') return undefined;
  if (byteLevel.use_regex !== false || byteLevel.add_prefix_space === true) return undefined;
  if (split.behavior !== 'Isolated' || split.invert === true) return undefined;
  return typeof split.pattern?.Regex === 'string' ? split.pattern.Regex : undefined;
}

/** The parts of tokenizer.json we read (HF writes many more). */
interface HfTokenizerJson {
  added_tokens?: Array<{ id: number; content: string }>;
  normalizer?: unknown;
  pre_tokenizer?: HfPreTokenizer | null;
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]> };
}

interface HfPreTokenizer {
  type?: string;
  pretokenizers?: HfPreTokenizer[];
  pattern?: { Regex?: string };
  behavior?: string;
  invert?: boolean;
  use_regex?: boolean;
  add_prefix_space?: boolean;
}
