// Recognises an instruction written in the shape of a built-in task and computes its reference answer,
// so instructions a model invents (self-instruct) can be verified like generated ones. Only tasks whose
// answer follows from the text itself are solvable: fact questions about corpus counts and format
// conversions are not recognised. A test checks every rule against its generator's own answers.
import { formatList } from './lists.ts';
import type { TaskItem } from './types.ts';

type Rule = (instruction: string, input: string | undefined) => string | undefined;

const INTEGER_LIST = /^\[(-?\d+(, -?\d+)*)?\]$/;

function readList(input: string | undefined): number[] | undefined {
  if (input === undefined || !INTEGER_LIST.test(input.trim())) return undefined;
  return JSON.parse(input.trim()) as number[];
}

const ARITHMETIC: Record<string, { task: string; apply: (a: bigint, b: bigint) => bigint }> = {
  '+': { task: 'arithmetic/add', apply: (a, b) => a + b },
  '-': { task: 'arithmetic/sub', apply: (a, b) => a - b },
  '*': { task: 'arithmetic/mul', apply: (a, b) => a * b },
};

/** Word questions: the word in quotes, an answer from the word alone. */
const wordRule = (pattern: RegExp, answer: (word: string) => string): Rule => (instruction, input) => {
  const word = input === undefined ? pattern.exec(instruction)?.[1] : undefined;
  return word === undefined || word === '' ? undefined : answer(word);
};

/** A fixed instruction over an input text. */
const inputRule = (text: string, answer: (input: string) => string | undefined): Rule => (instruction, input) =>
  instruction === text && input !== undefined && input !== '' ? answer(input) : undefined;

const listRule = (text: string, answer: (list: number[]) => string): Rule =>
  inputRule(text, (input) => {
    const list = readList(input);
    return list === undefined || list.length === 0 ? undefined : answer(list);
  });

const RULES: Record<string, Rule> = {
  'strings/count-char': (instruction, input) => {
    const letter = /^How many times does the letter '(.)' appear in the following text\?$/u.exec(instruction)?.[1];
    return letter === undefined || input === undefined ? undefined : String([...input].filter((c) => c === letter).length);
  },
  'strings/reverse': inputRule('Reverse the following text, character by character.', (input) => [...input].reverse().join('')),
  'strings/upper-case': inputRule('Rewrite the following text in upper case.', (input) => input.toUpperCase()),
  'strings/sort-letters': inputRule('Sort the letters of the following word in alphabetical order.', (input) => (/\s/.test(input) ? undefined : [...input].sort().join(''))),
  'lists/max': listRule('What is the largest number in the following list?', (list) => String(Math.max(...list))),
  'lists/sort': listRule('Sort the following list of numbers in ascending order.', (list) => formatList([...list].sort((a, b) => a - b))),
  'lists/dedupe': listRule(
    'Remove the duplicates from the following list, keeping the first occurrence of each number in its original order.',
    (list) => formatList([...new Set(list)]),
  ),
  'facts/letter-count': wordRule(/^How many letters are in the word '([a-z]+)'\?$/, (word) => String(word.length)),
  'facts/first-letter': wordRule(/^What is the first letter of the word '([a-z]+)'\?$/, (word) => word.slice(0, 1)),
  'facts/last-letter': wordRule(/^What is the last letter of the word '([a-z]+)'\?$/, (word) => word.slice(-1)),
  'facts/alphabetical': (instruction, input) => {
    const m = /^Which word comes first alphabetically: '([a-z]+)' or '([a-z]+)'\?$/.exec(instruction);
    return m === null || input !== undefined || m[1] === m[2] ? undefined : m[1]! < m[2]! ? m[1] : m[2];
  },
};

/** The built-in task an instruction (and input) poses, with its reference answer; undefined when none. */
export function solveInstruction(instruction: string, input?: string): TaskItem | undefined {
  const arithmetic = /^What is (-?\d{1,15}) ([+\-*]) (-?\d{1,15})\?$/.exec(instruction);
  if (arithmetic !== null && input === undefined) {
    const op = ARITHMETIC[arithmetic[2]!]!;
    return { task: op.task, instruction, answer: op.apply(BigInt(arithmetic[1]!), BigInt(arithmetic[3]!)).toString() };
  }
  for (const [task, rule] of Object.entries(RULES)) {
    const answer = rule(instruction, input);
    if (answer !== undefined) return { task, instruction, ...(input === undefined ? {} : { input }), answer };
  }
  return undefined;
}

/** Tasks solveInstruction can recognise. */
export const SOLVABLE_TASKS: readonly string[] = [...Object.values(ARITHMETIC).map((a) => a.task), ...Object.keys(RULES)];
