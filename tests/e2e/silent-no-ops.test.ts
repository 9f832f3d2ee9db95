// Mistakes that used to do nothing and exit 0: a misspelt stage in --only/--from/--to/--force, a
// dataset file that does not exist (passed `validate`), an absurd number of steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeProject, tempa } from '../helpers/project.ts';

const RECIPE = `datasets:
  corpus: data/missing.txt
stages:
  tokenizer:
    uses: exec
    with: { command: "true" }
  pretrain:
    uses: exec
    needs: [tokenizer]
    with: { command: "true" }
`;

describe('no silent no-ops', () => {
  for (const flag of ['--only', '--from', '--to', '--force']) {
    it(`${flag} with a misspelt stage is an error with a suggestion`, async () => {
      const dir = await makeProject({ 'recipe.yaml': RECIPE.replace(/datasets:\n.*\n/, '') });
      const result = await tempa(['run', 'recipe.yaml', `${flag}=tokenzer`], dir);
      assert.equal(result.code, 2, result.stdout);
      assert.match(result.stderr, new RegExp(`error USAGE: ${flag}: the recipe has no stage named \`tokenzer\`\\n  hint: did you mean \`tokenizer\`\\?`));
      assert.doesNotMatch(result.stdout, /ran/);
    });
  }

  it('validate reports a dataset file that does not exist at its line in the recipe', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    const result = await tempa(['validate', 'recipe.yaml'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /recipe\.yaml:2:11: error RECIPE_INVALID: datasets\.corpus: dataset `corpus`: `data\/missing\.txt` does not exist/);
  });

  it('refuses absurd values through the schema maxima', async () => {
    const dir = await makeProject({
      'recipe.yaml': 'stages:\n  tokenizer:\n    uses: tokenizer\n    inputs: { corpus: data }\n  pretrain:\n    uses: pretrain\n    inputs: { model: tokenizer.tokenizer, train: data }\n    with: { steps: 1e12 }\ndatasets:\n  data: d.txt\n',
      'd.txt': 'hello\n',
    });
    const result = await tempa(['validate', 'recipe.yaml'], dir);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /steps: must be <= 100000000/);
  });
});
