// Arithmetic tasks: multi-digit addition, subtraction and multiplication, and templated word problems.
// Every answer is a plain integer (answer.ts); answer space: the integers with the reference's sign and
// number of digits.
import { integerFormat, verifyNumber } from './answer.ts';
import { sameDigitsChance } from './chance.ts';
import { pick, randomDigits, randomInt, type Difficulty, type TaskGenerator, type TaskItem, type Verifier } from './types.ts';

const FAMILY = 'arithmetic';

/** Digits of each operand, as [fewest, most], per difficulty. */
const OPERAND_DIGITS: Record<Difficulty, { a: [number, number]; b: [number, number] }> = {
  easy: { a: [1, 2], b: [1, 2] },
  medium: { a: [2, 3], b: [2, 3] },
  hard: { a: [4, 6], b: [3, 6] },
};
/** Multiplication grows faster, so its operands are shorter. */
const FACTOR_DIGITS: Record<Difficulty, { a: [number, number]; b: [number, number] }> = {
  easy: { a: [1, 2], b: [1, 1] },
  medium: { a: [2, 2], b: [1, 2] },
  hard: { a: [3, 3], b: [2, 3] },
};

const verifyInteger: Verifier = (item, response) => verifyNumber(item.answer, response);
const chance = (item: TaskItem) => sameDigitsChance(item.answer);

function operands(random: () => number, digits: { a: [number, number]; b: [number, number] }): [number, number] {
  const a = randomDigits(random, randomInt(random, ...digits.a));
  const b = randomDigits(random, randomInt(random, ...digits.b));
  return [a, b];
}

type Order = (a: number, b: number, difficulty: Difficulty) => [number, number];

function binary(name: string, symbol: string, table: typeof OPERAND_DIGITS, apply: (a: number, b: number) => number, order?: Order): TaskGenerator {
  return {
    family: FAMILY,
    name: `${FAMILY}/${name}`,
    generate(random, difficulty = 'medium') {
      const [x, y] = operands(random, table[difficulty]);
      const [a, b] = order ? order(x, y, difficulty) : [x, y];
      return { task: `${FAMILY}/${name}`, instruction: `What is ${a} ${symbol} ${b}?`, answer: String(apply(a, b)) };
    },
    verify: verifyInteger,
    format: integerFormat,
    chance,
  };
}

const NAMES = ['Ishmael', 'Queequeg', 'Ahab', 'Starbuck', 'Stubb', 'Flask', 'Tashtego', 'Daggoo', 'Pip', 'Bildad', 'Peleg', 'Fedallah'];
const THINGS = ['harpoons', 'barrels', 'ropes', 'lanterns', 'biscuits', 'coins', 'oars', 'sails', 'maps', 'candles', 'buckets', 'nails'];

/** Operand ranges for word problems: [min, max] for sums and differences, and for the two factors. */
const WORD_RANGES: Record<Difficulty, { sum: [number, number]; factor: [number, number]; count: [number, number] }> = {
  easy: { sum: [1, 20], factor: [2, 5], count: [2, 10] },
  medium: { sum: [2, 99], factor: [2, 12], count: [2, 20] },
  hard: { sum: [100, 999], factor: [2, 99], count: [2, 99] },
};

type Template = (random: () => number, d: Difficulty) => { text: string; answer: number };

const TEMPLATES: Template[] = [
  (random, d) => {
    const [name, things] = [pick(random, NAMES), pick(random, THINGS)];
    const [a, b] = [randomInt(random, ...WORD_RANGES[d].sum), randomInt(random, ...WORD_RANGES[d].sum)];
    return { text: `${name} has ${a} ${things} and buys ${b} more. How many ${things} does ${name} have now?`, answer: a + b };
  },
  (random, d) => {
    const [name, things] = [pick(random, NAMES), pick(random, THINGS)];
    const a = randomInt(random, ...WORD_RANGES[d].sum);
    const b = randomInt(random, 0, a);
    const other = pick(random, NAMES.filter((n) => n !== name));
    return { text: `${name} has ${a} ${things} and gives ${b} to ${other}. How many ${things} does ${name} have left?`, answer: a - b };
  },
  (random, d) => {
    const things = pick(random, THINGS);
    const [a, b] = [randomInt(random, ...WORD_RANGES[d].sum), randomInt(random, ...WORD_RANGES[d].sum)];
    return { text: `There are ${a} ${things} on the deck and ${b} ${things} in the hold. How many ${things} are there in total?`, answer: a + b };
  },
  (random, d) => {
    const [name, things] = [pick(random, NAMES), pick(random, THINGS)];
    const a = randomInt(random, ...WORD_RANGES[d].sum);
    const b = randomInt(random, 0, a);
    return { text: `${name} needs ${a} ${things} but has only ${b}. How many more ${things} does ${name} need?`, answer: a - b };
  },
  (random, d) => {
    const [name, things] = [pick(random, NAMES), pick(random, THINGS)];
    const [crates, each] = [randomInt(random, ...WORD_RANGES[d].count), randomInt(random, ...WORD_RANGES[d].factor)];
    return { text: `${name} fills ${crates} crates with ${each} ${things} in each crate. How many ${things} is that altogether?`, answer: crates * each };
  },
];

const wordProblem: TaskGenerator = {
  family: FAMILY,
  name: `${FAMILY}/word-problem`,
  generate(random, difficulty = 'medium'): TaskItem {
    const { text, answer } = pick(random, TEMPLATES)(random, difficulty);
    return { task: `${FAMILY}/word-problem`, instruction: text, answer: String(answer) };
  },
  verify: verifyInteger,
  format: integerFormat,
  chance,
};

export const arithmeticTasks: TaskGenerator[] = [
  binary('add', '+', OPERAND_DIGITS, (a, b) => a + b),
  // Easy subtraction never goes below zero; harder levels include negative results.
  binary('sub', '-', OPERAND_DIGITS, (a, b) => a - b, (a, b, d) => (d === 'easy' && b > a ? [b, a] : [a, b])),
  binary('mul', '*', FACTOR_DIGITS, (a, b) => a * b),
  wordProblem,
];
