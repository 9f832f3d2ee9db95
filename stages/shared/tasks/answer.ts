// How verifiers read a response: one convention for where the answer is, in one place, so every task,
// `evaluate` and the RL rewards built on the verifiers accept exactly the same responses.
//
// THE CONVENTION. A response states its answer in one of two ways:
//   1. the whole response is the answer, e.g. `19`;
//   2. one final-answer line: `Answer:` at the start of a line (any case), the answer after it running to
//      the end of the response, e.g. `12 + 7 = 19\nAnswer: 19`. Text before that line is free (working).
// The stated text is trimmed; one trailing period, one pair of surrounding quotes or backticks and one
// enclosing Markdown code fence are dropped; then the WHOLE of it must be the answer in the task's own
// format (a plain integer, one letter, one of the options...). So an answer buried in prose, followed by
// more text, or stated twice (two `Answer:` lines, "41 or 42") is wrong even when it is the right token:
// a model that only continues text scores 0. Instruction data teaches form 2 (markAnswer).
import { accept, reject, type FormatCheck, type Verdict } from './types.ts';

export const ANSWER_MARKER = 'Answer:';

/** `Answer:` at the start of a line; the `m` flag makes ^ match after every newline. */
const MARKER = /^[ \t]*answer[ \t]*:/gim;
/** Unicode minus, dashes and full-width hyphen, all read as '-' (NFKC does not map them). */
const MINUS_LIKE = /[\u2212\u2012\u2013\u2014\uFE63\uFF0D]/g;
/** A plain integer: no leading zeros, no '+', no '-0', optionally thousands commas (`1,384`). */
const INTEGER = /^(?:0|-?(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*))$/;
const QUOTES: Array<[string, string]> = [['"', '"'], ["'", "'"], ['`', '`'], ['“', '”'], ['‘', '’'], ['«', '»']];

/** The response as the convention reads it: NFKC (full-width digits are digits), every minus a '-'. */
export function normaliseResponse(response: string): string {
  return response.normalize('NFKC').replace(MINUS_LIKE, '-');
}

/** How instruction data writes a reference answer: form 2 of the convention; multi-line answers start on the next line. */
export function markAnswer(answer: string): string {
  return answer.includes('\n') ? `${ANSWER_MARKER}\n${answer}` : `${ANSWER_MARKER} ${answer}`;
}

/** The text a response states as its answer, or why it states none. */
export type Stated = { text: string } | { reason: string };

/** Reads a response by the convention above: the text after its one `Answer:` line, else all of it, unwrapped. */
export function statedAnswer(response: string): Stated {
  const text = normaliseResponse(response);
  const markers = [...text.matchAll(MARKER)];
  if (markers.length > 1) return { reason: `${markers.length} final-answer lines: state one answer` };
  const marker = markers[0];
  const stated = unwrap(marker === undefined ? text : text.slice(marker.index + marker[0].length));
  if (stated === '') return { reason: marker === undefined ? 'empty response' : `nothing after ${ANSWER_MARKER}` };
  return { text: stated };
}

/** Drops surrounding whitespace, one code fence, one trailing period and one pair of quotes, in that order. */
function unwrap(text: string): string {
  let out = text.trim();
  const fenced = /^```[\w-]*\n([\s\S]*?)\n?```$/.exec(out);
  if (fenced !== null) out = (fenced[1] ?? '').trim();
  if (out.endsWith('.') && out.length > 1) out = out.slice(0, -1).trimEnd();
  for (const [open, close] of QUOTES) {
    if (out.length < open.length + close.length || !out.startsWith(open) || !out.endsWith(close)) continue;
    const inside = out.slice(open.length, -close.length);
    // `"captain": "Ahab"` is not one quoted answer: quotes inside mean the outer ones belong to it.
    if (!inside.includes(open) && !inside.includes(close)) return inside.trim();
  }
  return out;
}

/** Runs `check` on the stated answer, or rejects with the reason there is none. */
export function verifyStated(response: string, check: (text: string) => Verdict): Verdict {
  const stated = statedAnswer(response);
  return 'reason' in stated ? reject(stated.reason) : check(stated.text);
}

/** A reference or stated integer as a BigInt, or undefined when the text is not a plain integer. */
export function readInteger(text: string): bigint | undefined {
  return INTEGER.test(text) ? BigInt(text.replace(/,/g, '')) : undefined;
}

export function verifyExactString(reference: string, response: string): Verdict {
  return verifyStated(response, (text) => (text === reference ? accept() : reject(`expected exactly ${JSON.stringify(reference)}`)));
}

export function verifyNumber(reference: string, response: string): Verdict {
  const expected = readInteger(reference);
  if (expected === undefined) throw new Error(`reference ${JSON.stringify(reference)} is not an integer`);
  return verifyStated(response, (text) => {
    const got = readInteger(text);
    if (got === undefined) return reject(`not a plain integer: ${JSON.stringify(clip(text))}`);
    return got === expected ? accept() : reject(`${got} is not ${reference}`);
  });
}

/**
 * A list of integers, the whole text: `[1, 2, 3]`, `(1, 2, 3)`, `1, 2, 3` or `1 2 3`. Any other word in it
 * makes it unreadable. Returns a reason string when it is not such a list.
 */
export function readIntegerList(text: string): bigint[] | string {
  const inner = /^\[(.*)\]$/s.exec(text) ?? /^\((.*)\)$/s.exec(text);
  const tokens = (inner === null ? text : (inner[1] ?? '')).split(/\s*,\s*|\s+/).filter((token) => token !== '');
  const values = tokens.map(readInteger);
  const bad = values.findIndex((value) => value === undefined);
  if (bad !== -1) return `not a list of integers: ${JSON.stringify(clip(tokens[bad] ?? ''))}`;
  return values as bigint[];
}

export function verifyIntegerList(reference: string, response: string): Verdict {
  const expected = readIntegerList(reference);
  if (typeof expected === 'string') throw new Error(`reference ${JSON.stringify(reference)} is ${expected}`);
  return verifyStated(response, (text) => {
    const got = readIntegerList(text);
    if (typeof got === 'string') return reject(got);
    if (got.length === expected.length && got.every((value, i) => value === expected[i])) return accept();
    return reject(`got [${got.join(', ')}], expected [${expected.join(', ')}]`);
  });
}

/** One of the named options, the whole stated text, any case. Naming both, or anything else, is wrong. */
export function verifyChoice(reference: string, options: readonly string[], response: string): Verdict {
  return verifyStated(response, (text) => {
    const chosen = options.find((option) => option.toLowerCase() === text.toLowerCase());
    if (chosen === undefined) return reject(`not exactly one of ${options.join(', ')}`);
    return chosen.toLowerCase() === reference.toLowerCase() ? accept() : reject(`chose ${JSON.stringify(chosen)}, expected ${JSON.stringify(reference)}`);
  });
}

/** A single letter, the whole stated text, any case; a look-alike from another script is another letter. */
export function verifyLetter(reference: string, response: string): Verdict {
  return verifyStated(response, (text) => {
    if (!/^\p{L}$/u.test(text)) return reject(`not a single letter: ${JSON.stringify(clip(text))}`);
    return text.toLowerCase() === reference.toLowerCase() ? accept() : reject(`letter ${JSON.stringify(text)} is not ${JSON.stringify(reference)}`);
  });
}

// Answer formats (types.ts FormatCheck) of the verifiers above: the same readers, without the comparison,
// so whatever a verifier accepts is in format.
export const integerFormat: FormatCheck = (_item, text) => (readInteger(text) === undefined ? reject(`not a plain integer: ${JSON.stringify(clip(text))}`) : accept());

export const integerListFormat: FormatCheck = (_item, text) => {
  const list = readIntegerList(text);
  return typeof list === 'string' ? reject(list) : accept();
};

export const letterFormat: FormatCheck = (_item, text) => (/^\p{L}$/u.test(text) ? accept() : reject(`not a single letter: ${JSON.stringify(clip(text))}`));

/** Long responses are cut in reasons so a log line stays a line. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
