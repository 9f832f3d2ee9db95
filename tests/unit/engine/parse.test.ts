// Duplicate keys are found by tempa's own linear check (yaml's is quadratic): in block and flow
// mappings at any depth, at the repeated key, while equal keys in different mappings are fine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecipeErrors } from '../../../engine/errors.ts';
import { parseRecipeText } from '../../../engine/recipe/parse.ts';

const positions = (text: string): string[] => {
  try {
    parseRecipeText('r.yaml', 'r.yaml', text);
    return [];
  } catch (error) {
    assert.ok(error instanceof RecipeErrors);
    return error.errors.map((e) => `${e.location!.line}:${e.location!.col} ${e.message}`);
  }
};

describe('duplicate keys', () => {
  it('are reported at the repeated key, in block and flow mappings at any depth', () => {
    assert.deepEqual(positions('a:\n  b: { c: 1, c: 2 }\n'), ['2:14 Map keys must be unique']);
    assert.deepEqual(positions('a:\n  b:\n    c: 1\n    d: 2\n    c: 3\n'), ['5:5 Map keys must be unique']);
    assert.deepEqual(positions('x: 1\ny: 2\nx: 3\ny: 4\n'), ['3:1 Map keys must be unique', '4:1 Map keys must be unique']);
  });

  it('allow the same key in different mappings, and a number beside its string', () => {
    assert.deepEqual(positions('a: { k: 1 }\nb: { k: 2 }\nc: { 1: x, "1": y }\n'), []);
  });

  it('stay linear: 100,000 keys in one mapping parse in seconds, not minutes', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const start = performance.now();
    assert.deepEqual(positions(text), []);
    assert.ok(performance.now() - start < 30_000, `${Math.round(performance.now() - start)} ms`);
  });
});
