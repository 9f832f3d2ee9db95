// schemas/recipe.json (for editors' `$schema`) must match the schema the engine validates with.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { RECIPE_JSON_SCHEMA_FILE, renderRecipeJsonSchema } from '../../../schemas/generate.ts';

describe('recipe JSON schema', () => {
  it('is up to date (run `npm run schemas` after editing schemas/*.schema.ts)', async () => {
    assert.equal(await readFile(RECIPE_JSON_SCHEMA_FILE, 'utf8'), renderRecipeJsonSchema());
  });
});
