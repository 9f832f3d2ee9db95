// How verifiers read a free-form response: the extraction rules live in one place so every task family,
// and the GRPO reward built on them, reads answers the same documented way.
import { accept, reject, type Verdict } from './types.ts';

/** Unicode minus, dashes and full-width hyphen, all read as '-'. */
const MINUS_LIKE = /[\u2212\u2012\u2013\u2014\uFE63\uFF0D]/g;
/** "The answer is", "Answer:", "So the result =", "=" ... at the very start of a response. */
const LEAD_IN = /^(?:(?:so|thus|therefore|hence)[,\s]+)?(?:(?:the\s+)?(?:final\s+)?(?:answer|result|output)\s*(?:is|:|=)|=)\s*:?\s*/i;
/** An integer or decimal, optionally negative, optionally with thousands commas (`1,234`). */
const NUMBER = /(?<!\w)(?:-(?=\d))?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?/g;
/** Words between two numbers that offer alternatives or a range instead of one answer. */
const HEDGE_BETWEEN = /^\s*(?:or|and|to|\/|-|~|\.\.\.?)\s*$|\b(?:or|maybe|perhaps|possibly|either)\b/i;
/** Words right before the final number that make it an estimate. */
const HEDGE_BEFORE = /(?:\b(?:about|around|approximately|roughly|maybe|perhaps|possibly|probably|nearly|almost)|[~≈])\s*$/i;

export function normaliseResponse(response: string): string {
  return response.normalize('NFKC').replace(MINUS_LIKE, '-');
}

/** Drops Markdown code fences, keeping what is inside them. */
export function stripFences(text: string): string {
  return text.replace(/```[\w-]*\n?/g, '');
}

const QUOTES: Array<[string, string]> = [['"', '"'], ["'", "'"], ['`', '`'], ['“', '”'], ['‘', '’'], ['«', '»']];

/** The inside of one enclosing tag, as in `<answer>42</answer>`, a common reasoning-output format. */
function untag(text: string): string | undefined {
  return /^<([A-Za-z][\w-]*)>([\s\S]*)<\/\1>$/.exec(text)?.[2];
}

function unquote(text: string): string | undefined {
  for (const [open, close] of QUOTES) {
    if (text.length >= 2 && text.startsWith(open) && text.endsWith(close)) return text.slice(open.length, -close.length);
  }
  return undefined;
}

/**
 * Every reading of a response as a bare string: itself trimmed, with a lead-in ("The answer is:"), surrounding
 * quotes, one enclosing tag (`<answer>..</answer>`) or a final period removed, in any combination. A string task
 * is right when any reading equals the reference exactly, so formatting is forgiven but content and case are not.
 */
export function stringReadings(response: string): Set<string> {
  const readings = new Set<string>();
  const queue = [stripFences(response).trim()];
  while (queue.length > 0 && readings.size < 64) {
    const text = queue.shift() ?? '';
    if (readings.has(text)) continue;
    readings.add(text);
    const next = [text.replace(LEAD_IN, ''), unquote(text), untag(text), text.endsWith('.') ? text.slice(0, -1) : undefined];
    for (const candidate of next) if (candidate !== undefined) queue.push(candidate.trim());
  }
  return readings;
}

export function verifyExactString(reference: string, response: string): Verdict {
  if (stringReadings(response).has(reference)) return accept();
  return reject(`expected exactly ${JSON.stringify(reference)}`);
}

export interface FinalNumber {
  value: number;
  text: string;
}

/**
 * The LAST number in the response is its answer (so working such as "12 + 7 = 19" is fine), unless it is
 * hedged: joined to the number before it only by "or", "and", "to", "/" or "-" ("41 or 42", "40-42"), or
 * preceded by an estimate word ("about 42"). Returns a reason string when there is no usable number.
 */
export function finalNumber(response: string): FinalNumber | string {
  const text = normaliseResponse(response);
  const matches = [...text.matchAll(NUMBER)];
  const last = matches.at(-1);
  if (last === undefined) return 'no number in the response';
  const before = matches.at(-2);
  const start = last.index;
  const between = text.slice(before === undefined ? 0 : before.index + before[0].length, start);
  if (before !== undefined && HEDGE_BETWEEN.test(between)) return `hedged between ${before[0]} and ${last[0]}`;
  if (HEDGE_BEFORE.test(text.slice(0, start))) return `hedged final number ${last[0]}`;
  return { value: Number(last[0].replace(/,/g, '')), text: last[0] };
}

export function verifyNumber(reference: string, response: string): Verdict {
  const found = finalNumber(response);
  if (typeof found === 'string') return reject(found);
  if (found.value === Number(reference)) return accept();
  return reject(`final number ${found.text} is not ${reference}`);
}

/**
 * A list of integers: the last [...] group if there is one, else the text after the last ':', '=' or
 * ' is ', else the whole response; items are separated by commas, semicolons, spaces or "and", and
 * anything else in that part makes it unreadable. "[1, 2, 3]", "1, 2, 3" and "1 2 3" all read the same.
 */
export function readIntegerList(response: string): number[] | string {
  const text = normaliseResponse(stripFences(response)).trim();
  const groups = [...text.matchAll(/\[([^[\]]*)\]/g)];
  let part: string;
  const lastGroup = groups.at(-1);
  if (lastGroup !== undefined) part = lastGroup[1] ?? '';
  else {
    const marks = [text.lastIndexOf(':'), text.lastIndexOf('='), ...[...text.matchAll(/\bis\b/gi)].map((m) => m.index + 1)];
    part = text.slice(Math.max(...marks) + 1);
  }
  part = part.trim().replace(/\.$/, '').trim();
  const inner = /^\((.*)\)$/s.exec(part) ?? /^\{(.*)\}$/s.exec(part);
  if (inner !== null) part = inner[1] ?? '';
  const tokens = part.split(/[\s,;]+/).filter((token) => token !== '' && token.toLowerCase() !== 'and');
  const bad = tokens.find((token) => !/^-?\d+$/.test(token));
  if (bad !== undefined) return `not a list of integers: ${JSON.stringify(bad)}`;
  return tokens.map(Number);
}

export function verifyIntegerList(reference: string, response: string): Verdict {
  const expected = readIntegerList(reference);
  if (typeof expected === 'string') throw new Error(`reference ${JSON.stringify(reference)} is ${expected}`);
  const got = readIntegerList(response);
  if (typeof got === 'string') return reject(got);
  if (got.length === expected.length && got.every((value, i) => value === expected[i])) return accept();
  return reject(`got [${got.join(', ')}], expected [${expected.join(', ')}]`);
}

/**
 * One of two named options: a reading that is exactly an option (any case), else the one option the
 * response names as a whole word. Naming both, or neither, is wrong: the answer must commit.
 */
export function verifyChoice(reference: string, options: readonly string[], response: string): Verdict {
  const readings = [...stringReadings(normaliseResponse(response))].map((r) => r.toLowerCase());
  let chosen = options.find((option) => readings.includes(option.toLowerCase()));
  if (chosen === undefined) {
    const named = options.filter((option) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(option)}(?![\\p{L}\\p{N}])`, 'iu').test(response));
    if (named.length > 1) return reject(`names more than one option: ${named.join(', ')}`);
    chosen = named[0];
  }
  if (chosen === undefined) return reject(`names none of ${options.join(', ')}`);
  if (chosen.toLowerCase() === reference.toLowerCase()) return accept();
  return reject(`chose ${JSON.stringify(chosen)}, expected ${JSON.stringify(reference)}`);
}

/** A single letter: a reading that is one letter, else the last letter standing alone ("It is 'h'."); any case. */
export function verifyLetter(reference: string, response: string): Verdict {
  const readings = [...stringReadings(normaliseResponse(response))];
  let letter = readings.find((r) => /^\p{L}$/u.test(r));
  if (letter === undefined) letter = [...response.matchAll(/(?<!\p{L})\p{L}(?!\p{L})/gu)].at(-1)?.[0];
  if (letter === undefined) return reject('no single letter in the response');
  if (letter.toLowerCase() === reference.toLowerCase()) return accept();
  return reject(`letter ${JSON.stringify(letter)} is not ${JSON.stringify(reference)}`);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
