// Every bad recipe under tests/e2e/recipes/<case>/ must fail validation with exactly the errors in
// its expect.json: file:line:col, field, message, source line with caret, hint. All at once.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatError } from '../../engine/cli/format-error.ts';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { TEMPA } from '../../stages/builtin.ts';
import { REPO_ROOT, tempa } from '../helpers/project.ts';

const CASES = path.join(import.meta.dirname, 'recipes');

describe('recipe validation errors', () => {
  const cases = readdirSync(CASES).filter((d) => readdirSync(path.join(CASES, d)).includes('expect.json'));

  it('has at least 8 kinds of bad recipe', () => {
    assert.ok(cases.length >= 8, `only ${cases.length} cases`);
  });

  for (const name of cases) {
    it(name, async () => {
      const expected = JSON.parse(readFileSync(path.join(CASES, name, 'expect.json'), 'utf8')) as { output: string[] };
      const recipe = path.join(CASES, name, 'recipe.yaml');
      const prefix = `${path.relative(process.cwd(), path.join(CASES, name))}/`;
      const error = await resolveRecipe(recipe, TEMPA).then(
        () => assert.fail('expected the recipe to be rejected'),
        (e: unknown) => e,
      );
      assert.deepEqual(formatError(error).replaceAll(prefix, '').split('\n'), expected.output);
    });
  }

  it('the CLI exits 2 and prints the errors without a stack trace', async () => {
    const result = await tempa(['validate', 'recipe.yaml'], path.join(CASES, 'many-errors'));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^recipe\.yaml:2:14: error RECIPE_INVALID: concurrency: expected integer, got string "two"$/m);
    assert.match(result.stderr, /5 problems in recipe/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('checks the model size at validate time, and blames a --set that broke it', async () => {
    const result = await tempa(['validate', 'recipes/quickstart.yaml', '--set', 'vars.model.nHead=5'], REPO_ROOT);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.split('\n').slice(0, 2).join('\n'),
      '--set vars.model.nHead: error RECIPE_INVALID: stages.init.with.model.nHead: model.nEmbd 96 is not divisible by model.nHead 5\n  hint: pick nHead among the divisors of 96',
    );
  });
});
