// Unit tests for the built-in instruction tasks: generators are seeded and deterministic, every reference
// answer passes its own verifier, verifiers accept a stated answer (whole response or `Answer:` line) and reject the rest (table-driven),
// and the fact table is derived deterministically and correctly from a small text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { seededRandom } from '../../../engine/rng.ts';
import { drawSplits } from '../../../stages/shared/tasks/draw.ts';
import { buildFactTable, factGenerators, FACT_TASK_NAMES } from '../../../stages/shared/tasks/facts.ts';
import { itemKey, taskItemFromRecord, toInstructionRecord } from '../../../stages/shared/tasks/record.ts';
import { selectTasks, TASK_NAMES, TASKS, verifyAnswer } from '../../../stages/shared/tasks/registry.ts';
import { DIFFICULTIES, type Difficulty, type TaskGenerator, type TaskItem } from '../../../stages/shared/tasks/types.ts';

const TEXT = [
  'Call me Ishmael. Some years ago I went to sea, and the sea was grey.',
  'The whale, the white whale! The harpoon flew; the whale dived and the ship rolled.',
  'A café on the shore sold coffee to the crew of the ship.',
];

const FACT_GENERATORS = factGenerators(buildFactTable(TEXT, seededRandom(1)));
const ALL_GENERATORS: TaskGenerator[] = [...Object.values(TASKS), ...FACT_GENERATORS];

function items(generator: TaskGenerator, seed: number, n: number, difficulty: Difficulty = 'medium'): TaskItem[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => generator.generate(random, difficulty));
}

describe('task generators', () => {
  it('cover every required family and every task name', () => {
    assert.deepEqual([...new Set(TASK_NAMES.map((t) => t.split('/')[0]))], ['arithmetic', 'strings', 'lists', 'formats', 'reasoning', 'facts']);
    assert.deepEqual(ALL_GENERATORS.map((g) => g.name).sort(), [...TASK_NAMES].sort());
  });

  for (const generator of ALL_GENERATORS) {
    it(`${generator.name}: same seed gives identical items, another seed different ones`, () => {
      assert.deepEqual(items(generator, 7, 30), items(generator, 7, 30));
      assert.notDeepEqual(items(generator, 8, 30), items(generator, 7, 30));
      for (const item of items(generator, 7, 30)) assert.equal(item.task, generator.name);
    });

    it(`${generator.name}: the reference answer passes its own verifier at every difficulty`, () => {
      for (const difficulty of DIFFICULTIES) {
        const random = seededRandom(99);
        for (let i = 0; i < 200; i++) {
          const item = generator.generate(random, difficulty);
          assert.deepEqual(verifyAnswer(item, item.answer), { correct: true }, `${difficulty} ${JSON.stringify(item)}`);
          assert.equal(generator.verify(item, item.answer).correct, true);
        }
      }
    });
  }

  it('make harder items at higher difficulty (operand size)', () => {
    const add = TASKS['arithmetic/add'] as TaskGenerator;
    const longest = (d: Difficulty) => Math.max(...items(add, 3, 50, d).map((i) => i.answer.length));
    assert.ok(longest('easy') <= 3 && longest('medium') <= 4 && longest('hard') >= 6);
  });
});

interface VerifierCase {
  item: TaskItem;
  accept: string[];
  reject: string[];
}

const item = (task: string, instruction: string, answer: string, input?: string): TaskItem => ({ task, instruction, answer, ...(input === undefined ? {} : { input }) });

// Accepted: the whole response, or one final `Answer:` line after free working (answer.ts). Rejected: the answer
// in prose ("The answer is 19"), followed by more text, hedged between candidates, or in another format.
const CASES: Record<string, VerifierCase[]> = {
  arithmetic: [
    {
      item: item('arithmetic/sub', 'What is 12 - 19?', '-7'),
      accept: ['-7', '−7', '–7', ' -7 \n', '-7.', 'Answer: -7', 'answer: −7.', '12 - 19 = -7\nAnswer: -7', 'Let me think. 19 - 12 is 7.\nAnswer: -7', '`-7`'],
      reject: ['7', '-8', '', 'minus seven', '-7 or 7', '7 or -7', '-6 to -7', 'about -7', '-70', '-7.5', '-7.0', 'The answer is -7', '= -7', '12 - 19 = -7', '<answer>-7</answer>', '\\boxed{-7}'],
    },
    {
      item: item('arithmetic/add', 'What is 831 + 553?', '1384'),
      accept: ['1384', '1,384', 'Answer: 1384', 'Answer: 1,384.', '831 + 553 = 1384\nAnswer: 1384'],
      reject: ['1383', '1384 or 1385', '1383 or 1384', '1383/1384', '1383-1384', '13840', '138 4', '1384.5', 'approximately 1384', '831 + 553 = 1384', 'The result is 1384.', '**1384**', '13,84'],
    },
    {
      item: item('arithmetic/mul', 'What is 83 * 55?', '4565'),
      accept: ['4565', '4,565', 'Answer: 4565'],
      reject: ['4566', '4565 or 4566', '456', '83 * 55', '83 * 55 = 4565', '83 × 55 = 4565.'],
    },
    {
      item: item('arithmetic/word-problem', 'Ishmael has 12 harpoons and buys 7 more. How many harpoons does Ishmael have now?', '19'),
      accept: ['19', 'Answer: 19', 'Ishmael has 12 + 7 = 19 harpoons now.\nAnswer: 19'],
      reject: ['Ishmael has 12 harpoons.', '18 or 19', '20', 'nineteen', '19 harpoons', 'He has 19.', 'Ishmael has 12 + 7 = 19 harpoons now.'],
    },
  ],
  strings: [
    {
      item: item('strings/reverse', 'Reverse the following text, character by character.', 'nooprah', 'harpoon'),
      accept: ['nooprah', '  nooprah\n', '"nooprah"', "'nooprah'", '`nooprah`', '“nooprah”', 'nooprah.', 'Answer: nooprah', 'Answer: "nooprah".', '```\nnooprah\n```'],
      reject: ['Nooprah', 'noopra', 'harpoon', 'nooprah nooprah', 'nooprahs', 'n o o p r a h', 'The answer is: nooprah', '<answer>nooprah</answer>'],
    },
    {
      item: item('strings/upper-case', 'Rewrite the following text in upper case.', 'CALL ME ISHMAEL', 'call me ishmael'),
      accept: ['CALL ME ISHMAEL', ' CALL ME ISHMAEL ', '"CALL ME ISHMAEL"', 'Answer: CALL ME ISHMAEL', 'CALL ME ISHMAEL.'],
      reject: ['Call Me Ishmael', 'call me ishmael', 'CALL ME  ISHMAEL', 'CALL ME ISHMAEL!', 'CALL ME'],
    },
    {
      item: item('strings/sort-letters', 'Sort the letters of the following word in alphabetical order.', 'aehlw', 'whale'),
      accept: ['aehlw', 'a e h l w', 'a, e, h, l, w', 'AEHLW', '"aehlw"', 'Answer: aehlw.'],
      reject: ['aehwl', 'aehl', 'whale', 'aehlww', '', 'The answer is aehlw.', 'a-e-h-l-w'],
    },
    {
      item: item('strings/count-char', "How many times does the letter 'h' appear in the following text?", '3', 'the white whale'),
      accept: ['3', 'Answer: 3', "t-h-e has one, w-h-i-t-e one, w-h-a-l-e one.\nAnswer: 3"],
      reject: ['2', '3 or 4', 'three', '33', "The letter 'h' appears 3 times.", 'There are 3.', '3 times', '03', '+3'],
    },
  ],
  lists: [
    {
      item: item('lists/max', 'What is the largest number in the following list?', '17', '[3, 17, 5, 9]'),
      accept: ['17', 'Answer: 17', 'Of 3, 17, 5 and 9 the largest is 17.\nAnswer: 17'],
      reject: ['9', '3, 17, 5, 9', '17 or 9', '5', 'The largest number is 17.', 'max = 17', '[17]'],
    },
    {
      item: item('lists/sort', 'Sort the following list of numbers in ascending order.', '[-2, 3, 5, 17]', '[3, 17, 5, -2]'),
      accept: ['[-2, 3, 5, 17]', '-2, 3, 5, 17', '-2 3 5 17', '[−2,3,5,17]', 'Answer: [-2, 3, 5, 17].', '```\n[-2, 3, 5, 17]\n```', '(-2, 3, 5, 17)'],
      reject: ['[3, 5, 17, -2]', '[-2, 3, 5]', '[-2, 3, 5, 17, 17]', '-2, 3, 5, seventeen', '', '[2, 3, 5, 17]', 'The sorted list is [-2, 3, 5, 17].', '-2, 3, 5 and 17', '<answer>[-2, 3, 5, 17]</answer>'],
    },
    {
      item: item('lists/dedupe', 'Remove the duplicates from the following list, keeping the first occurrence of each number in its original order.', '[3, 5, 9]', '[3, 5, 3, 9, 5]'),
      accept: ['[3, 5, 9]', '3 5 9', '3, 5, 9.', 'Answer: [3,5,9]'],
      reject: ['[3, 9, 5]', '[3, 5, 3, 9]', '[3, 5, 9, 9]', '[3, 5, 3, 9, 5]', 'Result: [3,5,9]'],
    },
  ],
  formats: [
    {
      item: item('formats/kv-to-json', 'Convert the following key: value lines into a JSON object. Write numbers as JSON numbers.', '{"captain":"Ahab","crew":30}', 'captain: Ahab\ncrew: 30'),
      accept: ['{"crew": 30, "captain": "Ahab"}', '{\n  "captain": "Ahab",\n  "crew": 30\n}', '```json\n{"captain":"Ahab","crew":30}\n```', 'Answer: {"captain":"Ahab","crew":30}', 'Here is the JSON.\nAnswer:\n{"captain":"Ahab","crew":30}'],
      reject: ['{"captain":"Ahab","crew":"30"}', '{"captain":"Ahab"}', '{"captain":"Ahab","crew":30,"ship":"Pequod"}', '{captain: "Ahab", crew: 30}', 'captain: Ahab\ncrew: 30', '[{"captain":"Ahab","crew":30}]', '{"captain":"ahab","crew":30}', 'Here is the JSON: {"captain":"Ahab","crew":30}'],
    },
    {
      item: item('formats/json-to-kv', 'Rewrite the following JSON object as key: value lines, one pair per line.', 'captain: Ahab\ncrew: 30', '{"captain":"Ahab","crew":30}'),
      accept: ['captain: Ahab\ncrew: 30', 'crew: 30\ncaptain: Ahab', 'captain:Ahab\ncrew : 30\n', '- captain: Ahab\n- crew: 30', 'Answer:\ncaptain: Ahab\ncrew: 30', 'captain: "Ahab"\ncrew: 30', '```\ncaptain: Ahab\ncrew: 30\n```'],
      reject: ['captain: Ahab', 'captain: Ahab\ncrew: 31', 'captain: ahab\ncrew: 30', 'captain: Ahab\ncrew: 30\ncrew: 30', '{"captain":"Ahab","crew":30}', 'captain: Ahab\ncrew: 30\nship: Pequod', 'captain Ahab\ncrew 30', 'Here it is:\ncaptain: Ahab\ncrew: 30'],
    },
  ],
  reasoning: [
    {
      item: item('reasoning/add', 'Add 47 and 85.', '132'),
      accept: ['132', '7+5=12 carry\n4+8+1=13\nAnswer: 132', '7+5=12 carry\n4+8+1=13\nanswer: 132.'],
      reject: ['7+5=12 carry\n4+8+1=13', '7+5=12 carry\n4+8+1=13\nAnswer: 122', 'Answer: 132\n7+5=12 carry', '47+85=132', 'Answer: 13 2'],
    },
    {
      item: item('reasoning/sub', 'Subtract 47 from 82.', '35'),
      accept: ['35', '12-7=5\n8-1-4=3\nAnswer: 35'],
      reject: ['12-7=5\n8-1-4=3', 'Answer: 45', 'Answer: -35', '82-47=35'],
    },
    {
      item: item('reasoning/count-letter', "Count the letter 'r' in 'strawberry'.", '3'),
      accept: ['3', 's t r1 a w b e r2 r3 y\nAnswer: 3'],
      reject: ['s t r1 a w b e r2 r3 y', 's t r1 a w b e r2 r3 y\nAnswer: 2', 'There are 3 r letters.', 'Answer: three', 'Answer: r3'],
    },
    {
      item: item('reasoning/word-problem', 'Ahab has 12 oars, gets 5 more and uses 3. How many now?', '14'),
      accept: ['14', '12+5=17\n17-3=14\nAnswer: 14'],
      reject: ['12+5=17\n17-3=14', '12+5=17\nAnswer: 17', 'Answer: 14 oars', '17-3=14'],
    },
    {
      item: item('reasoning/countdown', 'Make 46 from 3 7 25 with +-*.', '7*3+25'),
      accept: ['7*3+25', '25+3*7', '(7*3)+25', '3 × 7 + 25', '25 + 7·3', '7*3+25 = 46', '7*3=21\n21+25=46\nAnswer: 7*3+25', 'Answer: (25+(7*3))'],
      reject: [
        '7*3+25 = 45', '7+3+25', '46', '7*3+25+3', '7*3*25', '(7*3+25', '7*3)+25', '7*325', '-7*3+25+7+7', '25+21', '25+7*3/1', '75/3+21',
        '7*3+25+0', '7 * 3 + 25 and done', '21+25=46\nAnswer: 21+25', '7*3=21\n21+25=46', 'Answer: 7*3+25 = 46 = 46',
      ],
    },
  ],
  facts: [
    {
      item: item('facts/letter-count', "How many letters are in the word 'whale'?", '5'),
      accept: ['5', 'Answer: 5', 'w-h-a-l-e\nAnswer: 5'],
      reject: ['4', '6', '5 or 6', 'five', "There are 5 letters in 'whale'.", 'The answer is 5', '05', '+5', '5.0'],
    },
    {
      item: item('facts/first-letter', "What is the first letter of the word 'harpoon'?", 'h'),
      accept: ['h', 'H', "'h'", 'Answer: H', "Answer: 'h'."],
      reject: ['a', 'harpoon', '', "It is 'n'", 'The first letter is h.', "The first letter of 'harpoon' is 'h'.", 'h, a'],
    },
    {
      item: item('facts/last-letter', "What is the last letter of the word 'harpoon'?", 'n'),
      accept: ['n', 'N.', '"n"', 'Answer: n'],
      reject: ['h', 'o', 'noon', 'The last letter is "n".'],
    },
    {
      item: item('facts/alphabetical', "Which word comes first alphabetically: 'sea' or 'ship'?", 'sea'),
      accept: ['sea', 'Sea', "'sea'", 'SEA', 'Answer: sea.', 's-e before s-h.\nAnswer: sea'],
      reject: ['ship', 'sea or ship', "'ship' comes first", 'seas', 'neither', '<answer>sea</answer>', 'The answer is sea.', 'sea comes first'],
    },
    {
      item: item('facts/more-frequent', "Which word appears more often in the text: 'whale' or 'harpoon'?", 'whale'),
      accept: ['whale', '"whale"', 'Answer: whale'],
      reject: ['harpoon', 'both whale and harpoon', 'whales', '', 'The word whale.'],
    },
  ],
};

describe('verifiers', () => {
  for (const [family, cases] of Object.entries(CASES)) {
    it(`${family}: accepts answers stated as the answer and rejects the rest`, () => {
      for (const { item: subject, accept, reject } of cases) {
        for (const response of accept) {
          const verdict = verifyAnswer(subject, response);
          assert.equal(verdict.correct, true, `${subject.task} should accept ${JSON.stringify(response)}: ${verdict.reason}`);
        }
        for (const response of reject) {
          const verdict = verifyAnswer(subject, response);
          assert.equal(verdict.correct, false, `${subject.task} should reject ${JSON.stringify(response)}`);
          assert.equal(typeof verdict.reason, 'string');
        }
      }
    });
  }

  it('has a case for every task', () => {
    const covered = new Set(Object.values(CASES).flatMap((cases) => cases.map((c) => c.item.task)));
    const missing = TASK_NAMES.filter((t) => !covered.has(t));
    assert.deepEqual(missing, []);
  });

  it('throws a coded error for an unknown task', () => {
    assert.throws(() => verifyAnswer(item('arithmetic/ad', 'x', '1'), '1'), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'RECIPE_INVALID');
      assert.equal(error.hint, 'did you mean `arithmetic/add`?');
      return true;
    });
  });
});

describe('selectTasks', () => {
  it('expands families, keeps canonical order and rejects unknown names', () => {
    assert.deepEqual(selectTasks(), [...TASK_NAMES]);
    assert.deepEqual(selectTasks(['lists/sort', 'arithmetic']), ['arithmetic/add', 'arithmetic/sub', 'arithmetic/mul', 'arithmetic/word-problem', 'lists/sort']);
    assert.deepEqual(selectTasks(['facts']), FACT_TASK_NAMES);
    assert.throws(() => selectTasks(['string']), /unknown task `string`/);
  });
});

describe('fact table', () => {
  it('is derived deterministically from the text, with right facts', () => {
    const a = buildFactTable(TEXT, seededRandom(5));
    assert.deepEqual(buildFactTable(TEXT, seededRandom(5)), a);
    // "café" touches a non a-z letter and is dropped, not cut to "caf"; words under 3 letters are left out.
    assert.ok(!a.subjects.includes('caf') && !a.subjects.includes('café') && !a.subjects.includes('to'));
    const fact = (subject: string, relation: string) => a.facts.find((f) => f.subject === subject && f.relation === relation)?.object;
    assert.equal(fact('whale', 'letters'), '5');
    assert.equal(fact('whale', 'occurrences'), '3');
    assert.equal(fact('the', 'occurrences'), '9'); // "The" counts too: words are lower-cased
    assert.equal(fact('harpoon', 'first-letter'), 'h');
    assert.equal(fact('harpoon', 'last-letter'), 'n');
    assert.equal(a.facts.length, a.subjects.length * 4);
  });

  it('samples at most maxWords words, depending on the seed', () => {
    const samples = [1, 2, 3, 4].map((seed) => buildFactTable(TEXT, seededRandom(seed), { maxWords: 4 }).subjects);
    for (const subjects of samples) assert.equal(subjects.length, 4);
    assert.ok(new Set(samples.map((s) => s.join())).size > 1);
  });

  it('asks questions whose answers match the text', () => {
    const counts = new Map<string, number>();
    for (const word of TEXT.join(' ').toLowerCase().match(/[a-z]+/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    const random = seededRandom(11);
    for (const generator of FACT_GENERATORS) {
      for (let i = 0; i < 50; i++) {
        const question = generator.generate(random);
        const words = [...question.instruction.matchAll(/'([a-z]+)'/g)].map((m) => m[1] ?? '');
        const [a = '', b = ''] = words;
        const expected: Record<string, string> = {
          'facts/letter-count': String(a.length),
          'facts/first-letter': a.slice(0, 1),
          'facts/last-letter': a.slice(-1),
          'facts/alphabetical': a < b ? a : b,
          'facts/more-frequent': (counts.get(a) ?? 0) > (counts.get(b) ?? 0) ? a : b,
        };
        assert.equal(question.answer, expected[generator.name], question.instruction);
      }
    }
  });

  it('leaves out questions the table cannot support', () => {
    const names = (text: string) => factGenerators(buildFactTable([text], seededRandom(1))).map((g) => g.name);
    assert.deepEqual(names('whale ship sea'), ['facts/letter-count', 'facts/first-letter', 'facts/last-letter', 'facts/alphabetical']);
    assert.deepEqual(names('whale'), ['facts/letter-count', 'facts/first-letter', 'facts/last-letter']);
    assert.deepEqual(names('a b'), []);
  });
});

describe('drawSplits', () => {
  it('gives disjoint splits, held-out first, and fewer items when the space is small', () => {
    const table = buildFactTable(['whale ship sea harpoon ocean crew mast deck sail rope'], seededRandom(1));
    const letterCount = factGenerators(table).find((g) => g.name === 'facts/letter-count') as TaskGenerator;
    const drawn = drawSplits(letterCount, seededRandom(3), 'medium', { heldOut: 4, train: 10 });
    assert.equal(drawn.heldOut.length, 4);
    // 10 words in all, 6 left after held-out, five of them 4 letters long: a quarter of 10 allows two of those.
    assert.equal(drawn.train.length, 3);
    const held = new Set(drawn.heldOut.map(itemKey));
    for (const t of drawn.train) assert.ok(!held.has(itemKey(t)));
  });

  it('keeps the held-out split fixed when only the train count changes', () => {
    const add = TASKS['arithmetic/add'] as TaskGenerator;
    const small = drawSplits(add, seededRandom(3), 'medium', { heldOut: 20, train: 10 });
    const large = drawSplits(add, seededRandom(3), 'medium', { heldOut: 20, train: 500 });
    assert.deepEqual(large.heldOut, small.heldOut);
  });
});

describe('instruction records', () => {
  it('round-trip to a task item that verifies', () => {
    const original = item('lists/sort', 'Sort the following list of numbers in ascending order.', '[1, 2]', '[2, 1]');
    const record = toInstructionRecord(original);
    assert.deepEqual(record.messages, [
      { role: 'user', content: 'Sort the following list of numbers in ascending order.\n\n[2, 1]' },
      { role: 'assistant', content: 'Answer: [1, 2]' },
    ]);
    assert.deepEqual([record.answer, record.output], ['[1, 2]', 'Answer: [1, 2]']);
    assert.deepEqual(taskItemFromRecord(record), original);
    assert.equal(verifyAnswer(taskItemFromRecord(record), '1 2').correct, true);
    assert.equal(verifyAnswer(taskItemFromRecord(record), record.output).correct, true);
  });

  it('teach multi-line answers with the marker on its own line, and read old rows without `answer`', () => {
    const kv = toInstructionRecord(item('formats/json-to-kv', 'Rewrite.', 'crew: 30\nship: Pequod', '{"crew":30,"ship":"Pequod"}'));
    assert.equal(kv.output, 'Answer:\ncrew: 30\nship: Pequod');
    assert.equal(verifyAnswer(taskItemFromRecord(kv), kv.output).correct, true);
    const { answer: _dropped, ...old } = kv;
    assert.equal(taskItemFromRecord(old).answer, 'crew: 30\nship: Pequod');
    assert.equal(taskItemFromRecord({ task: 'facts/first-letter', instruction: 'x', output: 'h' }).answer, 'h');
  });
});
