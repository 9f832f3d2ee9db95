// Column addition and subtraction with the working written out, one line per column from the right:
// `7+5=12 carry`, then `4+8+1=13`; `12-7=5`, then `8-1-4=3` (the 12 shows the borrow, the -1 pays it). Answers are plain integers; answer space (chance baseline): the
// integers with the reference's sign and number of digits, as arithmetic/add.
import { integerFormat, verifyNumber } from './answer.ts';
import { sameDigitsChance } from './chance.ts';
import { worked } from './reasoning-solution.ts';
import { randomDigits, randomInt, type Difficulty, type TaskGenerator, type TaskItem } from './types.ts';

const FAMILY = 'reasoning';

/** Digits of each operand, [fewest, most]. Easy and medium stay inside the quickstart's 64-token context. */
const DIGITS: Record<Difficulty, [number, number]> = { easy: [2, 2], medium: [2, 3], hard: [4, 6] };

const digitsOf = (n: number): number[] => [...String(n)].reverse().map(Number); // units first

/** One line per column, right to left; the last column's sum is written whole, so its carry needs no line. */
export function additionSteps(a: number, b: number): string[] {
  const [x, y] = [digitsOf(a), digitsOf(b)];
  const steps: string[] = [];
  let carry = 0;
  const columns = Math.max(x.length, y.length);
  for (let i = 0; i < columns; i++) {
    const sum = (x[i] ?? 0) + (y[i] ?? 0) + carry;
    const last = i === columns - 1;
    steps.push(`${x[i] ?? 0}+${y[i] ?? 0}${carry ? '+1' : ''}=${sum}${sum >= 10 && !last ? ' carry' : ''}`);
    carry = sum >= 10 ? 1 : 0;
  }
  return steps;
}

/** One line per column of `a - b` (a >= b), right to left; a borrowed ten shows in the top digit, and as `-1` in the next column. */
export function subtractionSteps(a: number, b: number): string[] {
  const [x, y] = [digitsOf(a), digitsOf(b)];
  const steps: string[] = [];
  let borrow = 0;
  for (let i = 0; i < x.length; i++) {
    const [top, bottom] = [x[i] ?? 0, y[i] ?? 0];
    const borrowOut = top - borrow < bottom ? 1 : 0;
    const lent = top + 10 * borrowOut;
    steps.push(`${lent}${borrow ? '-1' : ''}-${bottom}=${lent - borrow - bottom}`);
    borrow = borrowOut;
  }
  return steps;
}

function operands(random: () => number, difficulty: Difficulty): [number, number] {
  const digits = () => randomDigits(random, randomInt(random, ...DIGITS[difficulty]));
  return [digits(), digits()];
}

const shared = { family: FAMILY, verify: (item: TaskItem, response: string) => verifyNumber(item.answer, response), format: integerFormat, chance: (item: TaskItem) => sameDigitsChance(item.answer) };

const add: TaskGenerator = {
  ...shared,
  name: `${FAMILY}/add`,
  generate(random, difficulty = 'medium') {
    const [a, b] = operands(random, difficulty);
    const answer = String(a + b);
    return { task: `${FAMILY}/add`, instruction: `Add ${a} and ${b}.`, answer, solution: worked(additionSteps(a, b), answer) };
  },
};

const sub: TaskGenerator = {
  ...shared,
  name: `${FAMILY}/sub`,
  generate(random, difficulty = 'medium') {
    const [x, y] = operands(random, difficulty);
    // Easy and medium results are never negative; hard ones are, half the time: the working subtracts the
    // smaller from the larger and says so.
    const [a, b] = difficulty !== 'hard' && y > x ? [y, x] : [x, y];
    const answer = String(a - b);
    const steps = a >= b ? subtractionSteps(a, b) : [`${a}<${b}, so ${b}-${a} negated`, ...subtractionSteps(b, a)];
    return { task: `${FAMILY}/sub`, instruction: `Subtract ${b} from ${a}.`, answer, solution: worked(steps, answer) };
  },
};

export const columnTasks: TaskGenerator[] = [add, sub];
