// Every recipe shipped in recipes/ must validate (the README's run command depends on them), and a lock
// shipped beside one must still describe what its stages would compute: the same plugin code, parameters
// and seed in each stage's key. A change to code that stages import (engine/errors.ts is one) changes
// their keys; without this check the committed lock goes stale silently and `tempa verify` fails for
// whoever clones it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../engine/cache/canonical.ts';
import { lockPathFor, readLock } from '../../engine/lockfile.ts';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { TEMPA } from '../../stages/builtin.ts';
import { REPO_ROOT } from '../helpers/project.ts';

const RECIPES = path.join(REPO_ROOT, 'recipes');

describe('shipped recipes', () => {
  for (const file of readdirSync(RECIPES).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} validates`, async () => {
      const recipe = await resolveRecipe(path.join(RECIPES, file), TEMPA);
      assert.ok(recipe.stages.length > 0);
    });

    const lockFile = lockPathFor(path.join(RECIPES, file));
    if (!existsSync(lockFile)) continue;
    it(`${path.basename(lockFile)} has each stage's current code, parameters and seed (regenerate it by running the recipe)`, async () => {
      const recipe = await resolveRecipe(path.join(RECIPES, file), TEMPA, { importCode: false });
      const lock = (await readLock(lockFile))!;
      const stale: string[] = [];
      for (const stage of recipe.stages) {
        const entry = lock.stages[stage.name];
        if (!entry) {
          stale.push(`${stage.name}: not in the lock`);
          continue;
        }
        const { plugin, params, seed } = entry.manifest;
        if (plugin.code !== stage.plugin.codeHash) stale.push(`${stage.name}: plugin code changed`);
        if (canonicalJson(params) !== canonicalJson(stage.keyParams)) stale.push(`${stage.name}: parameters changed`);
        if (seed !== stage.seed) stale.push(`${stage.name}: seed changed`);
      }
      assert.deepEqual(stale, []);
    });
  }
});
