// String tasks: reverse, upper-case, sort letters, count a letter. Inputs are sea words or random
// letters, so the item space is large enough for thousands of distinct items at every difficulty.
// Answer spaces (for the chance baseline): the orderings of the input's characters (reverse, sort-letters),
// the input with each letter in either case (upper-case), 0 to the number of letters (count-char).
import { integerFormat, verifyExactString, verifyNumber, verifyStated } from './answer.ts';
import { arrangements } from './chance.ts';
import { accept, pick, randomInt, reject, type Chance, type Difficulty, type FormatCheck, type TaskGenerator, type Verifier } from './types.ts';

const FAMILY = 'strings';

export const WORDS = [
  'whale', 'harpoon', 'ship', 'sea', 'sail', 'mast', 'deck', 'captain', 'mate', 'crew', 'boat', 'oar', 'rope', 'anchor',
  'wave', 'storm', 'wind', 'tide', 'island', 'port', 'harbor', 'voyage', 'ocean', 'salt', 'spray', 'foam', 'gull', 'shark',
  'squid', 'oil', 'barrel', 'lamp', 'cabin', 'hold', 'keel', 'hull', 'bow', 'stern', 'cask', 'chart', 'compass', 'star',
  'moon', 'night', 'dawn', 'fog', 'ice', 'coast', 'shore', 'sand', 'reef', 'bay', 'cape', 'knot', 'line', 'hook', 'net',
  'fish', 'pearl', 'shell', 'coral', 'drift', 'depth', 'swell', 'breeze', 'gale', 'thunder', 'rain', 'cloud', 'sky', 'sun',
  'pipe', 'bell', 'watch', 'log', 'map', 'flag', 'lantern', 'biscuit', 'coin', 'candle', 'bucket', 'nail', 'plank', 'tar',
  'canvas', 'rudder', 'helm', 'wheel', 'galley', 'cook', 'sailor', 'pilot', 'whaler', 'spout', 'fluke', 'fin', 'tail', 'bone',
  'ivory', 'sperm', 'blubber', 'lance', 'spear', 'chase', 'hunt', 'cry', 'lookout', 'head', 'heart', 'soul', 'dream', 'book',
  'letter', 'word', 'story', 'song', 'ghost', 'white', 'black', 'grey', 'blue', 'green', 'gold', 'silver', 'iron', 'wood',
  'stone', 'fire', 'smoke', 'ash', 'pine', 'oak', 'north', 'south', 'east', 'west', 'home', 'town', 'inn', 'bed', 'door',
] as const;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function randomLetters(random: () => number, min: number, max: number): string {
  return Array.from({ length: randomInt(random, min, max) }, () => pick(random, [...LETTERS])).join('');
}

function randomWords(random: () => number, min: number, max: number): string {
  return Array.from({ length: randomInt(random, min, max) }, () => pick(random, WORDS)).join(' ');
}

/** A word or a run of random letters, longer with difficulty; half of each keeps text natural yet varied. */
function randomToken(random: () => number, difficulty: Difficulty): string {
  const useWords = random() < 0.5;
  if (difficulty === 'easy') return useWords ? pick(random, WORDS) : randomLetters(random, 3, 5);
  if (difficulty === 'medium') return useWords ? randomWords(random, 2, 2) : randomLetters(random, 5, 8);
  return useWords ? randomWords(random, 3, 4) : randomLetters(random, 10, 14);
}

const WORD_COUNTS: Record<Difficulty, [number, number]> = { easy: [1, 2], medium: [2, 3], hard: [4, 6] };

const verifyString: Verifier = (item, response) => verifyExactString(item.answer, response);

/** Letters, spaced or comma-separated or not: the form sort-letters reads. */
const LETTER_SEQUENCE = /^\p{L}(?:[\s,;]*\p{L})*$/u;
const letterSequenceFormat: FormatCheck = (_item, text) => (LETTER_SEQUENCE.test(text) ? accept() : reject('not a sequence of letters'));

/** Sorted letters may come spaced or comma-separated, in either case: only the letter sequence counts. */
const verifySortedLetters: Verifier = (item, response) =>
  verifyStated(response, (text) =>
    LETTER_SEQUENCE.test(text) && text.replace(/[\s,;]+/g, '').toLowerCase() === item.answer
      ? { correct: true }
      : { correct: false, reason: `expected the letters ${JSON.stringify(item.answer)}` },
  );

const inputOf = (item: { input?: string }): string => item.input ?? '';
const orderingsChance: Chance = (item) => 1 / arrangements([...inputOf(item)]);

type Made = { instruction: string; input: string; answer: string };

function stringTask(name: string, make: (random: () => number, d: Difficulty) => Made, verify: Verifier, chance: Chance, format?: FormatCheck): TaskGenerator {
  return {
    family: FAMILY,
    name: `${FAMILY}/${name}`,
    generate: (random, difficulty = 'medium') => ({ task: `${FAMILY}/${name}`, ...make(random, difficulty) }),
    verify,
    ...(format === undefined ? {} : { format }),
    chance,
  };
}

/**
 * The largest count asked for: counts 0..max are asked equally often, so no answer is more than a fifth of
 * the items (a letter picked from the text answers "1" most of the time). Each is reachable within a few
 * hundred texts at its difficulty (4 times in two words, 5 in three, 7 in six).
 */
const MAX_COUNT: Record<Difficulty, number> = { easy: 4, medium: 5, hard: 7 };
const TEXTS_PER_COUNT = 20000;

/** Picks the count first, then a text and a letter occurring exactly that often in it. */
function makeCount(random: () => number, difficulty: Difficulty): Made {
  const want = randomInt(random, 0, MAX_COUNT[difficulty]);
  for (let attempt = 0; attempt < TEXTS_PER_COUNT; attempt++) {
    const input = randomWords(random, ...WORD_COUNTS[difficulty]);
    const letters = [...LETTERS].filter((letter) => [...input].filter((c) => c === letter).length === want);
    if (letters.length === 0) continue;
    const letter = pick(random, letters);
    return { instruction: `How many times does the letter '${letter}' appear in the following text?`, input, answer: String(want) };
  }
  throw new Error(`no ${difficulty} text of ${WORD_COUNTS[difficulty].join('-')} words has a letter ${want} times in ${TEXTS_PER_COUNT} draws`);
}

export const stringTasks: TaskGenerator[] = [
  stringTask('reverse', (random, d) => {
    const input = randomToken(random, d);
    return { instruction: 'Reverse the following text, character by character.', input, answer: [...input].reverse().join('') };
  }, verifyString, orderingsChance),
  stringTask('upper-case', (random, d) => {
    const input = randomWords(random, ...WORD_COUNTS[d]);
    return { instruction: 'Rewrite the following text in upper case.', input, answer: input.toUpperCase() };
  }, verifyString, (item) => 2 ** -inputOf(item).replace(/[^\p{L}]/gu, '').length),
  stringTask('sort-letters', (random, d) => {
    const input = randomToken(random, d).replace(/ /g, '');
    return { instruction: 'Sort the letters of the following word in alphabetical order.', input, answer: [...input].sort().join('') };
  }, verifySortedLetters, orderingsChance, letterSequenceFormat),
  stringTask('count-char', makeCount, (item, response) => verifyNumber(item.answer, response), (item) => 1 / (inputOf(item).replace(/ /g, '').length + 1), integerFormat),
];
