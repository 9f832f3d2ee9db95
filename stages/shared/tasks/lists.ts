// List tasks over small integer lists: largest value, ascending sort, and dedupe keeping first occurrences.
// Lists are written "[3, 17, 5]"; answers are read as numbers (max) or integer lists (sort, dedupe).
// Answer spaces (for the chance baseline): the list's distinct values (max), the orderings of the list
// (sort) and of its distinct values (dedupe).
import { integerFormat, integerListFormat, verifyIntegerList, verifyNumber } from './answer.ts';
import { arrangements } from './chance.ts';
import { randomInt, type Chance, type Difficulty, type FormatCheck, type TaskGenerator, type TaskItem, type Verifier } from './types.ts';

const FAMILY = 'lists';

/** List length and value range per difficulty; hard lists include negatives. */
const SHAPE: Record<Difficulty, { length: [number, number]; values: [number, number] }> = {
  easy: { length: [3, 5], values: [0, 20] },
  medium: { length: [5, 8], values: [0, 99] },
  hard: { length: [8, 12], values: [-999, 999] },
};

export const formatList = (values: readonly number[]): string => `[${values.join(', ')}]`;

function randomList(random: () => number, difficulty: Difficulty): number[] {
  const { length, values } = SHAPE[difficulty];
  return Array.from({ length: randomInt(random, ...length) }, () => randomInt(random, ...values));
}

/** A list with at least one repeated value: values come from a range about as wide as the list is long. */
function listWithDuplicates(random: () => number, difficulty: Difficulty): number[] {
  const { length, values } = SHAPE[difficulty];
  const n = randomInt(random, ...length);
  const low = randomInt(random, values[0], Math.max(values[0], values[1] - n));
  const list = Array.from({ length: n }, () => randomInt(random, low, low + n - 1));
  if (new Set(list).size === list.length) {
    const from = randomInt(random, 0, n - 1);
    let to = randomInt(random, 0, n - 2);
    if (to >= from) to += 1;
    list[to] = list[from] ?? low;
  }
  return list;
}

type MakeList = (random: () => number, difficulty: Difficulty) => number[];

/** The item's input list; generated inputs are always JSON integer lists. */
const listOf = (item: TaskItem): number[] => JSON.parse(item.input ?? '[]') as number[];
const chanceOf = (space: (list: number[]) => number): Chance => (item) => 1 / space(listOf(item));

function listTask(name: string, instruction: string, make: MakeList, answerOf: (list: number[]) => string, verify: Verifier, chance: Chance, format: FormatCheck): TaskGenerator {
  return {
    family: FAMILY,
    name: `${FAMILY}/${name}`,
    generate(random, difficulty = 'medium'): TaskItem {
      const list = make(random, difficulty);
      return { task: `${FAMILY}/${name}`, instruction, input: formatList(list), answer: answerOf(list) };
    },
    verify,
    format,
    chance,
  };
}

export const listTasks: TaskGenerator[] = [
  listTask('max', 'What is the largest number in the following list?', randomList, (l) => String(Math.max(...l)), (item, r) => verifyNumber(item.answer, r), chanceOf((l) => new Set(l).size), integerFormat),
  listTask(
    'sort',
    'Sort the following list of numbers in ascending order.',
    randomList,
    (l) => formatList([...l].sort((a, b) => a - b)),
    (item, r) => verifyIntegerList(item.answer, r),
    chanceOf(arrangements),
    integerListFormat,
  ),
  listTask(
    'dedupe',
    'Remove the duplicates from the following list, keeping the first occurrence of each number in its original order.',
    listWithDuplicates,
    (l) => formatList([...new Set(l)]),
    (item, r) => verifyIntegerList(item.answer, r),
    chanceOf((l) => arrangements([...new Set(l)])),
    integerListFormat,
  ),
];
