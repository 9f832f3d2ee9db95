// Counting a letter in a word by spelling it out, a running count beside each match: `s t r1 a w b e r2
// r3 y`, so the count is the last number written. Answer space (chance baseline): 0 to the word's length.
import { integerFormat, verifyNumber } from './answer.ts';
import { worked } from './reasoning-solution.ts';
import { WORDS } from './strings.ts';
import { pick, randomInt, type Difficulty, type TaskGenerator, type TaskItem } from './types.ts';

const TASK = 'reasoning/count-letter';
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

/** Counts 0..max are asked equally often (a fifth or less each); words are sea words or random letters this long. */
const SHAPE: Record<Difficulty, { maxCount: number; length: [number, number] }> = {
  easy: { maxCount: 4, length: [4, 7] },
  medium: { maxCount: 5, length: [6, 10] },
  hard: { maxCount: 6, length: [10, 15] },
};

const countOf = (word: string, letter: string): number => [...word].filter((c) => c === letter).length;

/** A string of random letters with `letter` exactly `count` times at random places. */
function randomWord(random: () => number, letter: string, count: number, [min, max]: [number, number]): string {
  const length = randomInt(random, Math.max(min, count), Math.max(max, count));
  const others = LETTERS.filter((c) => c !== letter);
  const chars = Array.from({ length }, () => pick(random, others));
  const places = [...chars.keys()];
  for (let i = 0; i < count; i++) chars[places.splice(randomInt(random, 0, places.length - 1), 1)[0]!] = letter;
  return chars.join('');
}

/** The spelling with a running count after each match. */
export function spellCount(word: string, letter: string): string {
  let seen = 0;
  return [...word].map((c) => (c === letter ? `${c}${++seen}` : c)).join(' ');
}

function generate(random: () => number, difficulty: Difficulty = 'medium'): TaskItem {
  const { maxCount, length } = SHAPE[difficulty];
  const want = randomInt(random, 0, maxCount);
  // Half the items use a sea word of the right length that has some letter exactly `want` times.
  const sea = WORDS.filter((w) => w.length >= length[0] && w.length <= length[1] && LETTERS.some((c) => countOf(w, c) === want));
  let word: string;
  let letter: string;
  if (sea.length > 0 && random() < 0.5) {
    word = pick(random, sea);
    letter = pick(random, LETTERS.filter((c) => countOf(word, c) === want));
  } else {
    letter = pick(random, LETTERS);
    word = randomWord(random, letter, want, length);
  }
  const answer = String(want);
  return { task: TASK, instruction: `Count the letter '${letter}' in '${word}'.`, answer, solution: worked([spellCount(word, letter)], answer) };
}

/** The word the instruction names, for the chance baseline. */
const wordOf = (item: TaskItem): string => /in '([a-z]+)'\.$/.exec(item.instruction)?.[1] ?? '';

export const countLetterTask: TaskGenerator = {
  family: 'reasoning',
  name: TASK,
  generate,
  verify: (item, response) => verifyNumber(item.answer, response),
  format: integerFormat,
  chance: (item) => 1 / (wordOf(item).length + 1),
};
