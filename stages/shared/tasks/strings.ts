// String tasks: reverse, upper-case, sort letters, count a letter. Inputs are sea words or random
// letters, so the item space is large enough for thousands of distinct items at every difficulty.
import { verifyExactString, verifyNumber, stringReadings } from './answer.ts';
import { pick, randomInt, type Difficulty, type TaskGenerator, type Verifier } from './types.ts';

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

/** Sorted letters may come spaced or comma-separated, in either case: only the letter sequence counts. */
const verifySortedLetters: Verifier = (item, response) => {
  const squash = (text: string) => text.replace(/[\s,;]+/g, '').toLowerCase();
  for (const reading of stringReadings(response)) if (squash(reading) === item.answer) return { correct: true };
  return { correct: false, reason: `expected the letters ${JSON.stringify(item.answer)}` };
};

type Made = { instruction: string; input: string; answer: string };

function stringTask(name: string, make: (random: () => number, d: Difficulty) => Made, verify: Verifier): TaskGenerator {
  return {
    family: FAMILY,
    name: `${FAMILY}/${name}`,
    generate: (random, difficulty = 'medium') => ({ task: `${FAMILY}/${name}`, ...make(random, difficulty) }),
    verify,
  };
}

/** Count a letter that occurs three times in four; otherwise any letter, so zero is a possible answer. */
function makeCount(random: () => number, difficulty: Difficulty): Made {
  const input = randomWords(random, ...WORD_COUNTS[difficulty]);
  const present = [...new Set(input.replace(/ /g, ''))].sort();
  const letter = random() < 0.75 && present.length > 0 ? pick(random, present) : pick(random, [...LETTERS]);
  const count = [...input].filter((c) => c === letter).length;
  return { instruction: `How many times does the letter '${letter}' appear in the following text?`, input, answer: String(count) };
}

export const stringTasks: TaskGenerator[] = [
  stringTask('reverse', (random, d) => {
    const input = randomToken(random, d);
    return { instruction: 'Reverse the following text, character by character.', input, answer: [...input].reverse().join('') };
  }, verifyString),
  stringTask('upper-case', (random, d) => {
    const input = randomWords(random, ...WORD_COUNTS[d]);
    return { instruction: 'Rewrite the following text in upper case.', input, answer: input.toUpperCase() };
  }, verifyString),
  stringTask('sort-letters', (random, d) => {
    const input = randomToken(random, d).replace(/ /g, '');
    return { instruction: 'Sort the letters of the following word in alphabetical order.', input, answer: [...input].sort().join('') };
  }, verifySortedLetters),
  stringTask('count-char', makeCount, (item, response) => verifyNumber(item.answer, response)),
];
