// How a sweep tells variants apart before running them: a stage's identity follows what its cache key is
// made of (so a change upstream reaches every stage downstream, and `needs:` alone changes nothing), a
// value no stage uses is refused, each variant's lock has its own path, and results survive the trip
// between a variant's process and the sweep.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PipelineError, RecipeErrors } from '../../../engine/errors.ts';
import { resolveRecipe } from '../../../engine/recipe/resolve.ts';
import { expandGrid, parseAxes } from '../../../engine/sweep/grid.ts';
import { variantLockFile } from '../../../engine/sweep/run-sweep.ts';
import { checkAxesMatter, stageIdentities } from '../../../engine/sweep/variants.ts';
import { fromWire, toWire } from '../../../engine/sweep/variant-wire.ts';
import { TEMPA } from '../../../stages/builtin.ts';
import { makeProject } from '../../helpers/project.ts';

//   a ──► b ──► c        d (needs b, reads nothing)
const RECIPE = `vars: { x: 1, unused: 0 }
stages:
  a: { uses: exec, with: { command: "echo \${vars.x} > $TEMPA_OUT/a", outputs: { a: a } } }
  b: { uses: exec, inputs: { a: a.a }, with: { command: "cp $TEMPA_INPUT_A $TEMPA_OUT/b", outputs: { b: b } } }
  c: { uses: exec, inputs: { b: b.b }, with: { command: "cp $TEMPA_INPUT_B $TEMPA_OUT/c", outputs: { c: c } } }
  d: { uses: exec, needs: [b], with: { command: "true" } }
`;

async function identities(sets: string[]) {
  const dir = await makeProject({ 'recipe.yaml': RECIPE });
  return stageIdentities(await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { sets, importCode: false }));
}

describe('stage identities', () => {
  it('a changed parameter changes its stage and every stage that reads it, not one that only needs it', async () => {
    const one = await identities(['vars.x=1']);
    const two = await identities(['vars.x=2']);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((s) => one.get(s) === two.get(s)),
      [false, false, false, true],
    );
  });
});

describe('checkAxesMatter', () => {
  it('refuses a swept value no stage uses, naming the flag', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    const check = async (flag: string) => {
      const axes = parseAxes([flag]);
      const variants = expandGrid(axes);
      const recipes = await Promise.all(variants.map((v) => resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { sets: v.sets, importCode: false })));
      checkAxesMatter(axes, variants, recipes);
    };
    await check('vars.x=1,2');
    await assert.rejects(check('vars.unused=1,2'), (e: unknown) => e instanceof PipelineError && /--set vars\.unused=1,2: `1` and `2` give the same stages/.test(e.message));
  });
});

describe('variantLockFile', () => {
  it('lives in the store, is named by the values, and differs with any override', () => {
    const [v1, v2] = expandGrid(parseAxes(['stages.t.with.lr=1e-3,3e-3']));
    const [f1] = expandGrid(parseAxes(['stages.t.with.lr=1e-3,3e-3', 'seed=4']));
    const lock = variantLockFile('/p/.tempa', '/p/recipe.yaml', v1!);
    assert.match(lock, /^\/p\/\.tempa\/sweeps\/recipe\/lr=1e-3-[0-9a-f]{8}\.lock$/);
    assert.equal(variantLockFile('/p/.tempa', '/p/recipe.yaml', v1!), lock);
    assert.notEqual(variantLockFile('/p/.tempa', '/p/recipe.yaml', v2!), lock);
    assert.notEqual(variantLockFile('/p/.tempa', '/p/recipe.yaml', f1!), lock, 'a fixed override is another variant');
  });
});

describe('variant results on the wire', () => {
  it('keep each stage error code, message and hint, and name recipe problems', () => {
    const failed = new PipelineError('STAGE_FAILED', '[stage t] `exit 3` exited with code 3', { hint: 'full log: x.log' });
    const wire = JSON.parse(JSON.stringify(toWire(false, [{ name: 't', status: 'failed', reasons: ['never run'], error: failed }])));
    const back = fromWire(wire);
    assert.equal(back.outcomes[0]!.error!.code, 'STAGE_FAILED');
    assert.equal(back.outcomes[0]!.error!.hint, 'full log: x.log');
    assert.equal(back.outcomes[0]!.error!.message, failed.message);
    const recipeProblem = new RecipeErrors([new PipelineError('RECIPE_INVALID', 'dataset `book`: no such file', { hint: 'check the path' })]);
    const error = fromWire(JSON.parse(JSON.stringify(toWire(false, [], recipeProblem)))).error!;
    assert.deepEqual([error.code, error.message, error.hint], ['RECIPE_INVALID', 'dataset `book`: no such file', 'check the path']);
  });
});
