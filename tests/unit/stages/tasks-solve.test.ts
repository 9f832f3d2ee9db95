// solveInstruction against the generators themselves: every solvable task's generated items are
// recognised as that task with the generator's exact answer, at every difficulty; near misses are not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../engine/rng.ts';
import { buildFactTable, factGenerators } from '../../../stages/shared/tasks/facts.ts';
import { TASKS } from '../../../stages/shared/tasks/registry.ts';
import { SOLVABLE_TASKS, solveInstruction } from '../../../stages/shared/tasks/solve.ts';
import { DIFFICULTIES, type TaskGenerator } from '../../../stages/shared/tasks/types.ts';

const TEXT = 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, I thought I would sail about a little and see the watery part of the world.';

function generators(): TaskGenerator[] {
  const facts = factGenerators(buildFactTable([TEXT], seededRandom(1), { maxWords: 100 }));
  return [...Object.values(TASKS), ...facts].filter((g) => SOLVABLE_TASKS.includes(g.name));
}

describe('solveInstruction', () => {
  it('recognises every solvable task and computes the generator’s own answer', () => {
    const gens = generators();
    assert.deepEqual(gens.map((g) => g.name).sort(), [...SOLVABLE_TASKS].sort());
    for (const generator of gens) {
      const random = seededRandom(42);
      for (const difficulty of DIFFICULTIES) {
        for (let i = 0; i < 100; i++) {
          const item = generator.generate(random, difficulty);
          assert.deepEqual(solveInstruction(item.instruction, item.input), item, `${generator.name} ${difficulty}`);
        }
      }
    }
  });

  it('computes answers beyond the generators’ ranges', () => {
    assert.equal(solveInstruction('What is 123456789012 * 987654321098?')?.answer, '121932631136585886175176');
    assert.equal(solveInstruction('What is 3 - 10?')?.answer, '-7');
    assert.equal(solveInstruction('What is the largest number in the following list?', '[-4, -2, -9]')?.answer, '-2');
  });

  it('does not recognise near misses or malformed inputs', () => {
    for (const [instruction, input] of [
      ['What is 3 / 4?', undefined],
      ['What is 3 + 4', undefined],
      ['What is 3 + 4?', 'extra input'],
      ['What is the largest number in the following list?', '[1, 2,'],
      ['What is the largest number in the following list?', '[]'],
      ['What is the first letter of the word whale?', undefined],
      ['Reverse the following text, character by character.', undefined],
      ['Which word comes first alphabetically: \'sea\' or \'sea\'?', undefined],
      ['Tell me a story about the sea.', undefined],
    ] as const) {
      assert.equal(solveInstruction(instruction, input), undefined, `${instruction} / ${input}`);
    }
  });
});
