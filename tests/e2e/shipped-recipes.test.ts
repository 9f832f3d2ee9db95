// Every recipe shipped in recipes/ must validate: the README's run command depends on them.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
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
  }
});
