// Part of `npm run build`: Ajv's standalone code for the schemas every recipe is checked against (the
// recipe envelope, `runtime:`, each built-in stage's `with:`), so that start-up neither loads Ajv's
// compiler nor compiles them. Each file is named by its schema's content (engine/recipe/ajv.ts
// precompiledName): a schema edited after the build has no file and is compiled as before.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** `staging`: the dist/ being built, its direct/ modules written; returns how many validators it wrote. */
export async function precompileValidators(root, staging) {
  const load = (rel) => import(pathToFileURL(path.join(staging, 'direct', rel)).href);
  const [{ AJV_OPTIONS, precompiledName }, { TEMPA }, { recipeSchema }] = await Promise.all([
    load('engine/recipe/ajv.js'),
    load('stages/builtin.js'),
    load('schemas/recipe.schema.js'),
  ]);
  const schemas = [recipeSchema, TEMPA.runtime.schema];
  for (const url of Object.values(TEMPA.stages)) {
    const rel = path.relative(root, fileURLToPath(url)).split(path.sep).join('/');
    // The definition view holds the schema without the training code; without one, the whole module.
    const stage = await load(rel.replace(/\.ts$/, '.view.js')).catch(() => load(rel.replace(/\.ts$/, '.js')));
    schemas.push(stage.default.schema);
  }
  const { Ajv } = require('ajv');
  const standaloneCode = require('ajv/dist/standalone').default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const dir = path.join(staging, 'validators');
  await mkdir(dir, { recursive: true });
  const names = new Set();
  for (const schema of schemas) {
    const name = precompiledName(schema);
    if (!name || names.has(name)) continue;
    await writeFile(path.join(dir, name), standaloneCode(ajv, ajv.compile(schema)));
    names.add(name);
  }
  return names.size;
}
