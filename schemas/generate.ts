// Writes schemas/recipe.json from the TypeScript schemas, for editors that validate YAML against
// `$schema`: the engine's envelope with tempa's `runtime:` options filled in. `npm run schemas`
// regenerates it; a test fails when it is out of date.
import { writeFile } from 'node:fs/promises';
import { recipeSchema } from './recipe.schema.ts';
import { runtimeSchema } from './runtime.schema.ts';

export const RECIPE_JSON_SCHEMA_FILE = new URL('./recipe.json', import.meta.url);

export const renderRecipeJsonSchema = (): string => {
  const schema = { ...recipeSchema, properties: { ...recipeSchema.properties, runtime: { ...recipeSchema.properties.runtime, ...runtimeSchema } } };
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
};

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await writeFile(RECIPE_JSON_SCHEMA_FILE, renderRecipeJsonSchema());
}
