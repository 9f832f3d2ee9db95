// Format tasks: "key: value" lines to a JSON object and back. Verifiers compare meaning, not layout:
// any key order and whitespace; JSON values must keep their type (numbers as numbers). The stated answer
// (answer.ts) must be the object or the lines and nothing else. Answer space (for the chance baseline):
// the given values assigned to the given keys in any order.
import { isDeepStrictEqual } from 'node:util';
import { verifyStated } from './answer.ts';
import { arrangements } from './chance.ts';
import { WORDS } from './strings.ts';
import { pick, randomInt, reject, accept, type Chance, type Difficulty, type TaskGenerator, type Verdict } from './types.ts';

const FAMILY = 'formats';

const KEYS = [
  'name', 'ship', 'captain', 'port', 'crew', 'year', 'whales', 'barrels', 'voyage', 'mate', 'harpoons', 'cargo', 'flag',
  'weather', 'wind', 'cook', 'boats', 'days', 'oil', 'home', 'course', 'lookout', 'depth', 'speed',
] as const;
const PAIRS: Record<Difficulty, [number, number]> = { easy: [2, 2], medium: [3, 4], hard: [5, 7] };
const MAX_NUMBER: Record<Difficulty, number> = { easy: 99, medium: 999, hard: 99999 };

type Flat = Record<string, string | number>;

function randomObject(random: () => number, difficulty: Difficulty): Flat {
  const keys = [...KEYS];
  const object: Flat = {};
  const n = randomInt(random, ...PAIRS[difficulty]);
  for (let i = 0; i < n; i++) {
    const key = keys.splice(randomInt(random, 0, keys.length - 1), 1)[0] ?? 'name';
    object[key] = random() < 0.5 ? randomInt(random, 0, MAX_NUMBER[difficulty]) : pick(random, WORDS);
  }
  return object;
}

const toLines = (object: Flat): string => Object.entries(object).map(([k, v]) => `${k}: ${v}`).join('\n');

/** The stated text as a JSON object (an array or a bare value is not one), or why it is not one. */
export function readJsonObject(text: string): Record<string, unknown> | string {
  const value = parseJson(text);
  if (value === undefined) return 'not valid JSON';
  return isObject(value) ? value : 'not a JSON object';
}

/** The parsed value, or undefined when the text is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * "key: value" lines, one pair a line; blank lines and list bullets are ignored; quotes around keys or
 * values and a trailing comma are dropped. Any other line makes the text unreadable.
 */
export function readKeyValueLines(text: string): Map<string, string> | string {
  const pairs = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^[-*•]\s+/, '').replace(/,$/, '');
    if (line === '') continue;
    const match = /^(["']?)([^:"']+)\1\s*:\s*(.+)$/.exec(line);
    if (match === null) return `not a key: value line: ${JSON.stringify(line)}`;
    const key = (match[2] ?? '').trim();
    const value = (match[3] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
    if (pairs.has(key)) return `key ${JSON.stringify(key)} appears twice`;
    pairs.set(key, value);
  }
  return pairs;
}

function verifyJson(reference: string, response: string): Verdict {
  return verifyStated(response, (text) => {
    const got = readJsonObject(text);
    if (typeof got === 'string') return reject(got);
    return isDeepStrictEqual(got, JSON.parse(reference)) ? accept() : reject(`object ${JSON.stringify(got)} differs from ${reference}`);
  });
}

function verifyKeyValues(reference: string, response: string): Verdict {
  const expected = readKeyValueLines(reference);
  if (typeof expected === 'string') throw new Error(`reference is ${expected}`);
  return verifyStated(response, (text) => sameKeyValues(expected, text));
}

function sameKeyValues(expected: Map<string, string>, text: string): Verdict {
  const got = readKeyValueLines(text);
  if (typeof got === 'string') return reject(got);
  if (got.size !== expected.size) return reject(`${got.size} pairs, expected ${expected.size}`);
  for (const [key, value] of expected) {
    if (got.get(key) !== value) return reject(`${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(got.get(key) ?? null)}`);
  }
  return accept();
}

/** A reader's result as a format verdict: its reason string when it could not read the text. */
const readable = (read: unknown): Verdict => (typeof read === 'string' ? reject(read) : accept());

/** The object's values, however it is written: the reference of kv-to-json is JSON, the input of json-to-kv too. */
const valuesChance: Chance = (item) => {
  const json = item.task.endsWith('kv-to-json') ? item.answer : (item.input ?? '{}');
  return 1 / arrangements(Object.values(JSON.parse(json) as Flat));
};

export const formatTasks: TaskGenerator[] = [
  {
    family: FAMILY,
    name: `${FAMILY}/kv-to-json`,
    generate(random, difficulty = 'medium') {
      const object = randomObject(random, difficulty);
      const instruction = 'Convert the following key: value lines into a JSON object. Write numbers as JSON numbers.';
      return { task: `${FAMILY}/kv-to-json`, instruction, input: toLines(object), answer: JSON.stringify(object) };
    },
    verify: (item, response) => verifyJson(item.answer, response),
    format: (_item, text) => readable(readJsonObject(text)),
    chance: valuesChance,
  },
  {
    family: FAMILY,
    name: `${FAMILY}/json-to-kv`,
    generate(random, difficulty = 'medium') {
      const object = randomObject(random, difficulty);
      const instruction = 'Rewrite the following JSON object as key: value lines, one pair per line.';
      return { task: `${FAMILY}/json-to-kv`, instruction, input: JSON.stringify(object), answer: toLines(object) };
    },
    verify: (item, response) => verifyKeyValues(item.answer, response),
    format: (_item, text) => readable(readKeyValueLines(text)),
    chance: valuesChance,
  },
];
