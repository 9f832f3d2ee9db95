// Factual Q&A over a fact table derived from the recipe's own text: words of the corpus with their
// length, first and last letters and how often they occur, so every answer is checkable against the data.
// Answer spaces (for the chance baseline): the letters a-z (first/last letter), the word lengths the table
// admits (letter count), the two named words (alphabetical, more frequent).
import { integerFormat, letterFormat, verifyChoice, verifyLetter, verifyNumber } from './answer.ts';
import { accept, pick, reject, type Chance, type FormatCheck, type TaskGenerator, type TaskItem, type Verifier } from './types.ts';

const FAMILY = 'facts';

export type Relation = 'letters' | 'first-letter' | 'last-letter' | 'occurrences';

export interface Fact {
  subject: string;
  relation: Relation;
  object: string;
}

export interface FactTable {
  /** The sampled words, sorted. */
  subjects: string[];
  facts: Fact[];
}

export interface FactTableOptions {
  /** At most this many words are sampled (seeded) from the corpus vocabulary. */
  maxWords?: number;
  /** Words shorter or longer than this are left out: too short is trivial, too long is rare noise. */
  minLength?: number;
  maxLength?: number;
}

/**
 * Words are runs of lower-case a-z after lower-casing (a word touching any other letter, such as "café",
 * is dropped rather than cut). The vocabulary is sorted before sampling, so the table depends only on the
 * texts' words and counts and on `random`, never on hash-map order.
 */
/** Word lengths the table admits by default; also the answer space of `facts/letter-count`. */
const LENGTHS = { min: 3, max: 14 } as const;

export function buildFactTable(records: readonly string[], random: () => number, options: FactTableOptions = {}): FactTable {
  const { maxWords = 2000, minLength = LENGTHS.min, maxLength = LENGTHS.max } = options;
  const counts = new Map<string, number>();
  for (const text of records) {
    for (const word of text.toLowerCase().match(/\p{L}+/gu) ?? []) {
      if (/^[a-z]+$/.test(word) && word.length >= minLength && word.length <= maxLength) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const vocabulary = [...counts.keys()].sort();
  // Partial Fisher-Yates: the first maxWords slots become a seeded sample without replacement.
  const take = Math.min(maxWords, vocabulary.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (vocabulary.length - i));
    [vocabulary[i], vocabulary[j]] = [vocabulary[j] as string, vocabulary[i] as string];
  }
  const subjects = vocabulary.slice(0, take).sort();
  const facts: Fact[] = subjects.flatMap((word): Fact[] => [
    { subject: word, relation: 'letters', object: String(word.length) },
    { subject: word, relation: 'first-letter', object: word.slice(0, 1) },
    { subject: word, relation: 'last-letter', object: word.slice(-1) },
    { subject: word, relation: 'occurrences', object: String(counts.get(word) ?? 0) },
  ]);
  return { subjects, facts };
}

/** The two quoted options of a "'a' or 'b'?" question, read back from the instruction. */
function optionsOf(item: TaskItem): string[] | undefined {
  const match = /'([^']+)' or '([^']+)'\?$/.exec(item.instruction);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

const verifyOption: Verifier = (item, response) => {
  const options = optionsOf(item);
  return options === undefined ? reject('the question names no two options') : verifyChoice(item.answer, options, response);
};

/** Verifiers need only the item, never the table, so a reward model can check fact answers on its own. */
export const FACT_VERIFIERS: Record<string, Verifier> = {
  'facts/letter-count': (item, response) => verifyNumber(item.answer, response),
  'facts/first-letter': (item, response) => verifyLetter(item.answer, response),
  'facts/last-letter': (item, response) => verifyLetter(item.answer, response),
  'facts/alphabetical': verifyOption,
  'facts/more-frequent': verifyOption,
};

export const FACT_TASK_NAMES = Object.keys(FACT_VERIFIERS);

/** One of the two named options, any case: the form verifyChoice reads. */
const optionFormat: FormatCheck = (item, text) => {
  const options = optionsOf(item);
  if (options === undefined) return reject('the question names no two options');
  return options.some((option) => option.toLowerCase() === text.toLowerCase()) ? accept() : reject(`not exactly one of ${options.join(', ')}`);
};

export const FACT_FORMATS: Record<string, FormatCheck> = {
  'facts/letter-count': integerFormat,
  'facts/first-letter': letterFormat,
  'facts/last-letter': letterFormat,
  'facts/alphabetical': optionFormat,
  'facts/more-frequent': optionFormat,
};

const oneLetter: Chance = () => 1 / 26;
const oneOfTwo: Chance = () => 1 / 2;

export const FACT_CHANCES: Record<string, Chance> = {
  'facts/letter-count': () => 1 / (LENGTHS.max - LENGTHS.min + 1),
  'facts/first-letter': oneLetter,
  'facts/last-letter': oneLetter,
  'facts/alphabetical': oneOfTwo,
  'facts/more-frequent': oneOfTwo,
};

type Lookup = (subject: string, relation: Relation) => string;

type Question = (random: () => number, subjects: readonly string[], lookup: Lookup, groups: ByValue) => Omit<TaskItem, 'task'>;

/**
 * Words grouped by the value of a relation (a length, a letter), for picking answer first: a uniformly random
 * value, then a word with it. Picking the word first would make the answers as skewed as English (in a
 * table from Moby-Dick, "s" ends 24% of the words, "d" 16%). Built once per table and relation.
 */
type ByValue = (relation: Relation) => string[][];

function groupedBy(subjects: readonly string[], lookup: Lookup): ByValue {
  const cache = new Map<Relation, string[][]>();
  return (relation) => {
    let groups = cache.get(relation);
    if (groups === undefined) {
      const byValue = new Map<string, string[]>();
      for (const s of subjects) {
        const value = lookup(s, relation);
        byValue.set(value, byValue.get(value) ?? []);
        byValue.get(value)?.push(s);
      }
      groups = [...byValue].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, words]) => words);
      cache.set(relation, groups);
    }
    return groups;
  };
}

const balancedWord = (random: () => number, groups: ByValue, relation: Relation): string => pick(random, pick(random, groups(relation)));

const QUESTIONS: Record<string, Question> = {
  'facts/letter-count': (random, _subjects, lookup, groups) => {
    const word = balancedWord(random, groups, 'letters');
    return { instruction: `How many letters are in the word '${word}'?`, answer: lookup(word, 'letters') };
  },
  'facts/first-letter': (random, _subjects, lookup, groups) => {
    const word = balancedWord(random, groups, 'first-letter');
    return { instruction: `What is the first letter of the word '${word}'?`, answer: lookup(word, 'first-letter') };
  },
  'facts/last-letter': (random, _subjects, lookup, groups) => {
    const word = balancedWord(random, groups, 'last-letter');
    return { instruction: `What is the last letter of the word '${word}'?`, answer: lookup(word, 'last-letter') };
  },
  'facts/alphabetical': (random, subjects) => {
    const [a, b] = twoOf(random, subjects);
    return { instruction: `Which word comes first alphabetically: '${a}' or '${b}'?`, answer: a < b ? a : b };
  },
  'facts/more-frequent': (random, subjects, lookup) => {
    // Ties have no answer: redraw the second word until the counts differ (the caller ensures some do).
    const [a, first] = twoOf(random, subjects);
    let b = first;
    while (lookup(b, 'occurrences') === lookup(a, 'occurrences')) b = pick(random, subjects);
    const more = Number(lookup(a, 'occurrences')) > Number(lookup(b, 'occurrences')) ? a : b;
    return { instruction: `Which word appears more often in the text: '${a}' or '${b}'?`, answer: more };
  },
};

function twoOf(random: () => number, subjects: readonly string[]): [string, string] {
  const a = pick(random, subjects);
  let b = pick(random, subjects);
  while (b === a) b = pick(random, subjects);
  return [a, b];
}

/**
 * Generators over one table. Questions that the table cannot support are left out: pair questions need
 * two words, and "more often" needs two different counts.
 */
export function factGenerators(table: FactTable): TaskGenerator[] {
  const index = new Map(table.facts.map((f) => [`${f.subject}\n${f.relation}`, f.object]));
  const lookup: Lookup = (subject, relation) => index.get(`${subject}\n${relation}`) ?? '';
  const subjects = table.subjects;
  const groups = groupedBy(subjects, lookup);
  const counts = new Set(subjects.map((s) => lookup(s, 'occurrences')));
  const supported = (name: string) =>
    subjects.length > 0 && (name !== 'facts/alphabetical' || subjects.length > 1) && (name !== 'facts/more-frequent' || counts.size > 1);
  return FACT_TASK_NAMES.filter(supported).map((name) => ({
    family: FAMILY,
    name,
    generate: (random) => ({ task: name, ...(QUESTIONS[name] as Question)(random, subjects, lookup, groups) }),
    verify: FACT_VERIFIERS[name] as Verifier,
    format: FACT_FORMATS[name] as FormatCheck,
    chance: FACT_CHANCES[name] as Chance,
  }));
}

