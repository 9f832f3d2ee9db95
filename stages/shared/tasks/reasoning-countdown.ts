// Countdown (TinyZero): reach a target with three or four numbers and + - *, each number used exactly once
// (the prompt leaves that rule out to stay short: the worked solutions teach it).
// The generator builds a random expression first, so every item is solvable; the working computes it one
// operation a line (`7*3=21`, `21+25=46`) and the answer is the expression (`7*3+25`). Any expression that
// uses the numbers once and hits the target is right. Chance baseline: countdownChance.
import { verifyStated } from './answer.ts';
import { countdownChance, evaluateTree, formatTree, numbersMismatch, parseExpression, COUNTDOWN_OPS, type ExpressionTree } from './countdown-expression.ts';
import { worked } from './reasoning-solution.ts';
import { accept, pick, randomInt, reject, type Difficulty, type TaskGenerator, type TaskItem, type Verdict } from './types.ts';

const TASK = 'reasoning/countdown';

/** How many numbers, their range, and the largest target and step result (short steps keep medium inside 64 tokens). */
const SHAPE: Record<Difficulty, { count: number; max: number; maxTarget: number }> = {
  easy: { count: 3, max: 9, maxTarget: 99 },
  medium: { count: 3, max: 15, maxTarget: 99 },
  hard: { count: 4, max: 50, maxTarget: 999 },
};
const ATTEMPTS = 1000;

/** A random bracketing of `numbers` in their order with a random operator at each node. */
function randomTree(random: () => number, numbers: readonly number[]): ExpressionTree {
  if (numbers.length === 1) return numbers[0]!;
  const split = randomInt(random, 1, numbers.length - 1);
  return { op: pick(random, COUNTDOWN_OPS), left: randomTree(random, numbers.slice(0, split)), right: randomTree(random, numbers.slice(split)) };
}

/** One line per operation, innermost first; undefined when a step goes below zero (harder to read) or past `max`. */
function steps(tree: ExpressionTree, max: number, lines: string[] = []): string[] | undefined {
  if (typeof tree === 'number') return lines;
  if (steps(tree.left, max, lines) === undefined || steps(tree.right, max, lines) === undefined) return undefined;
  const [a, b, value] = [evaluateTree(tree.left), evaluateTree(tree.right), evaluateTree(tree)];
  if (value < 0 || value > max) return undefined;
  lines.push(`${a}${tree.op}${b}=${value}`);
  return lines;
}

function generate(random: () => number, difficulty: Difficulty = 'medium'): TaskItem {
  const { count, max, maxTarget } = SHAPE[difficulty];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const numbers = Array.from({ length: count }, () => randomInt(random, 1, max));
    const tree = randomTree(random, numbers);
    const target = evaluateTree(tree);
    const lines = steps(tree, maxTarget);
    if (lines === undefined || target < 1) continue;
    const shown = [...numbers].sort((a, b) => a - b); // sorted: the order the expression uses them in is for the model to find
    const answer = formatTree(tree);
    return { task: TASK, instruction: `Make ${target} from ${shown.join(' ')} with +-*.`, answer, solution: worked(lines, answer) };
  }
  throw new Error(`no ${difficulty} countdown item in ${ATTEMPTS} draws`);
}

const INSTRUCTION = /^Make (\d+) from (\d+(?: \d+)+) with \+-\*\.$/;

/** The numbers and target the instruction names. */
export function countdownPuzzle(item: Pick<TaskItem, 'instruction'>): { numbers: number[]; target: number } | undefined {
  const m = INSTRUCTION.exec(item.instruction);
  return m === null ? undefined : { numbers: m[2]!.split(' ').map(Number), target: Number(m[1]) };
}

/** The stated expression, and the value after a trailing `= <value>` when it states one. */
function splitEquals(text: string): { expression: string; equals?: string } {
  const m = /^([^=]*?)\s*=\s*(\S*)$/.exec(text);
  return m === null ? { expression: text } : { expression: m[1]!, equals: m[2]! };
}

function check(item: TaskItem, text: string, graded: boolean): Verdict {
  const puzzle = countdownPuzzle(item);
  if (puzzle === undefined) return reject('the instruction names no numbers and target');
  const { expression, equals } = splitEquals(text);
  const parsed = parseExpression(expression);
  if ('reason' in parsed) return reject(parsed.reason);
  if (!graded) return accept();
  if (equals !== undefined && equals !== String(puzzle.target)) return reject(`states = ${equals}, the target is ${puzzle.target}`);
  const mismatch = numbersMismatch(parsed.numbers, puzzle.numbers);
  if (mismatch !== undefined) return reject(mismatch);
  return parsed.value === puzzle.target ? accept() : reject(`makes ${parsed.value}, not ${puzzle.target}`);
}

export const countdownTask: TaskGenerator = {
  family: 'reasoning',
  name: TASK,
  generate,
  verify: (item, response) => verifyStated(response, (text) => check(item, text, true)),
  // TinyZero's format score: a readable expression, whatever numbers it uses and whatever it makes.
  format: (item, text) => check(item, text, false),
  chance: (item) => {
    const puzzle = countdownPuzzle(item);
    return puzzle === undefined ? 0 : countdownChance(puzzle.numbers, puzzle.target);
  },
};
