// Writes schemas/recipe.json from the TypeScript schema, for editors that validate YAML against
// `$schema`. `npm run schemas` regenerates it; a test fails when it is out of date.
import { writeFile } from 'node:fs/promises';
import { recipeSchema } from './recipe.schema.ts';

export const RECIPE_JSON_SCHEMA_FILE = new URL('./recipe.json', import.meta.url);

export const renderRecipeJsonSchema = (): string =>
  `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...recipeSchema }, null, 2)}\n`;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await writeFile(RECIPE_JSON_SCHEMA_FILE, renderRecipeJsonSchema());
}
