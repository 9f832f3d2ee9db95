// Two-step word problems with the working written as the two sums it takes: `12+5=17`, `17-3=14`. Results
// are never negative. Answer space (chance baseline): the integers with the reference's number of digits.
import { integerFormat, verifyNumber } from './answer.ts';
import { sameDigitsChance } from './chance.ts';
import { worked } from './reasoning-solution.ts';
import { pick, randomInt, type Difficulty, type TaskGenerator } from './types.ts';

const TASK = 'reasoning/word-problem';
// Names and things of one or two tokens in the quickstart's tokenizer.
const NAMES = ['Ahab', 'Pip', 'Queequeg'];
const THINGS = ['boats', 'oars', 'sails', 'ships', 'casks'];

/** [min, max] of the amounts added or taken, and of the factors of a product. */
const RANGES: Record<Difficulty, { amount: [number, number]; factor: [number, number] }> = {
  easy: { amount: [2, 20], factor: [2, 5] },
  medium: { amount: [10, 49], factor: [2, 9] },
  hard: { amount: [100, 999], factor: [2, 99] },
};

interface Problem {
  text: string;
  steps: string[];
  answer: number;
}

type Template = (random: () => number, d: Difficulty, name: string, things: string) => Problem;

const amount = (random: () => number, d: Difficulty) => randomInt(random, ...RANGES[d].amount);
const factor = (random: () => number, d: Difficulty) => randomInt(random, ...RANGES[d].factor);

// Prompts are kept short: the quickstart model sees 64 tokens, prompt and working together.
const TEMPLATES: Template[] = [
  (random, d, name, things) => {
    const [a, b] = [amount(random, d), amount(random, d)];
    const c = randomInt(random, 0, a + b);
    return { text: `${name} has ${a} ${things}, gets ${b} and uses ${c}. How many now?`, steps: [`${a}+${b}=${a + b}`, `${a + b}-${c}=${a + b - c}`], answer: a + b - c };
  },
  (random, d, name, things) => {
    const [boxes, each, a] = [factor(random, d), factor(random, d), amount(random, d)];
    return { text: `${name} has ${a} ${things} and gets ${boxes} boxes of ${each}. How many now?`, steps: [`${boxes}*${each}=${boxes * each}`, `${a}+${boxes * each}=${a + boxes * each}`], answer: a + boxes * each };
  },
  (random, d, name, things) => {
    const [mates, each] = [factor(random, d), factor(random, d)];
    // What is left stays under the level's amounts where it can, so the numbers stay short.
    const a = mates * each + randomInt(random, 0, Math.max(RANGES[d].factor[1], RANGES[d].amount[1] - mates * each));
    return { text: `${name} has ${a} ${things} and gives ${each} to each of ${mates} men. How many now?`, steps: [`${mates}*${each}=${mates * each}`, `${a}-${mates * each}=${a - mates * each}`], answer: a - mates * each };
  },
  (random, d, name, things) => {
    const [a, more] = [amount(random, d), amount(random, d)];
    const other = pick(random, NAMES.filter((n) => n !== name));
    return { text: `${name} has ${a} ${things}. ${other} has ${more} more. How many in all?`, steps: [`${a}+${more}=${a + more}`, `${a}+${a + more}=${2 * a + more}`], answer: 2 * a + more };
  },
  (random, d, name, things) => {
    const a = amount(random, d);
    const [lost, found] = [randomInt(random, 0, a), amount(random, d)];
    return { text: `${name} had ${a} ${things}, lost ${lost} and found ${found}. How many now?`, steps: [`${a}-${lost}=${a - lost}`, `${a - lost}+${found}=${a - lost + found}`], answer: a - lost + found };
  },
];

export const wordProblemTask: TaskGenerator = {
  family: 'reasoning',
  name: TASK,
  generate(random, difficulty = 'medium') {
    const template = pick(random, TEMPLATES);
    const { text, steps, answer } = template(random, difficulty, pick(random, NAMES), pick(random, THINGS));
    return { task: TASK, instruction: text, answer: String(answer), solution: worked(steps, String(answer)) };
  },
  verify: (item, response) => verifyNumber(item.answer, response),
  format: integerFormat,
  chance: (item) => sameDigitsChance(item.answer),
};
