// Where stages and data come from: local plugin files, npm packages, broken plugins; and datasets
// given as a file, a folder, a glob, an npm package path, or a list.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatError } from '../../engine/cli/format-error.ts';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { TEMPA } from '../../stages/builtin.ts';
import { makeProject, runPipeline } from '../helpers/project.ts';

const LIST_PLUGIN = `export default {
  name: 'list-inputs', version: 1, description: 'writes what it was given',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  outputs: () => ({ listing: { kind: 'file' } }),
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const lines = Object.entries(ctx.inputs).map(([name, a]) => name + ' ' + a.kind + ' ' + a.files.map((f) => f.slice(a.path.length)).join(','));
    await writeFile(ctx.outDir + '/listing.txt', lines.join('\\n') + '\\n');
    return { metrics: { inputs: lines.length }, artifacts: { listing: 'listing.txt' } };
  },
};
`;

describe('plugins', () => {
  it('loads a plugin from an npm package by name, and keys it by package version', async () => {
    const dir = await makeProject({
      'node_modules/tempa-plugin-list/package.json': JSON.stringify({ name: 'tempa-plugin-list', version: '1.2.3', type: 'module', main: 'index.js' }),
      'node_modules/tempa-plugin-list/index.js': LIST_PLUGIN,
      'a.txt': 'a',
      'recipe.yaml': 'datasets: { a: a.txt }\nstages:\n  list:\n    uses: tempa-plugin-list\n    inputs: { one: a }\n',
    });
    const recipe = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA);
    assert.equal(recipe.stages[0]!.plugin.source, 'tempa-plugin-list@1.2.3');
    const run = await runPipeline(path.join(dir, 'recipe.yaml'));
    assert.deepEqual(run.ran, ['list']);
  });

  it('a module whose default export is not a stage fails with STAGE_LOAD_FAILED at the uses line', async () => {
    const dir = await makeProject({
      'plugins/bad.mjs': 'export default { name: "bad" };\n',
      'plugins/throws.mjs': 'throw new Error("boom at import");\n',
      'recipe.yaml': 'stages:\n  one:\n    uses: ./plugins/bad.mjs\n  two:\n    uses: ./plugins/throws.mjs\n  three:\n    uses: ./plugins/missing.mjs\n',
    });
    const error = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA).catch((e: unknown) => e);
    const text = formatError(error).replaceAll(`${dir}/`, '');
    assert.match(text, /^recipe\.yaml:3:11: error STAGE_LOAD_FAILED: stages\.one\.uses: cannot load stage plugin `\.\/plugins\/bad\.mjs`: its default export is not a stage/m);
    assert.match(text, /^recipe\.yaml:5:11: error STAGE_LOAD_FAILED: stages\.two\.uses: cannot load stage plugin `\.\/plugins\/throws\.mjs`: boom at import$/m);
    assert.match(text, /^recipe\.yaml:7:11: error STAGE_LOAD_FAILED: stages\.three\.uses: cannot load stage plugin `\.\/plugins\/missing\.mjs`: no such file/m);
    assert.match(text, /3 problems in recipe/);
  });
});

describe('datasets', () => {
  it('accepts a file, a folder, a glob, an npm package path and a list', async () => {
    const dir = await makeProject({
      'plugins/list.mjs': LIST_PLUGIN,
      'data/one.txt': '1',
      'data/sub/two.txt': '2',
      'data/skip.csv': 'x',
      'node_modules/some-corpus/package.json': JSON.stringify({ name: 'some-corpus', version: '0.1.0', exports: { '.': './index.js' } }),
      'node_modules/some-corpus/texts/a.txt': 'a',
      'recipe.yaml': `datasets:
  file: data/one.txt
  folder: data
  glob: data/**/*.txt
  npm: npm:some-corpus/texts/a.txt
  several: { path: [data/one.txt, data/sub/two.txt] }
stages:
  list:
    uses: ./plugins/list.mjs
    inputs: { file: file, folder: folder, glob: glob, npm: npm, several: several }
`,
    });
    const run = await runPipeline(path.join(dir, 'recipe.yaml'));
    assert.deepEqual(run.ran, ['list']);
    const listing = await readFile(path.join(run.outcomes[0]!.outDir!, 'listing.txt'), 'utf8');
    assert.equal(
      listing,
      ['file file ', 'folder dir /one.txt,/skip.csv,/sub/two.txt', 'glob files /data/one.txt,/data/sub/two.txt', 'npm file ', 'several files /one.txt,/sub/two.txt', ''].join('\n'),
    );
  });

  it('a dataset that matches nothing is an error at its line, before any stage runs', async () => {
    const dir = await makeProject({
      'plugins/list.mjs': LIST_PLUGIN,
      'recipe.yaml': 'datasets:\n  gone: missing/*.txt\n  pkg: npm:not-installed/x.txt\nstages:\n  list:\n    uses: ./plugins/list.mjs\n    inputs: { a: gone, b: pkg }\n',
    });
    const error = await runPipeline(path.join(dir, 'recipe.yaml')).catch((e: unknown) => e);
    const text = formatError(error).replaceAll(`${dir}/`, '');
    assert.match(text, /^recipe\.yaml:2:9: error RECIPE_INVALID: datasets\.gone: dataset `gone`: matches no files$/m);
    assert.match(text, /^recipe\.yaml:3:8: error RECIPE_INVALID: datasets\.pkg: dataset `pkg`: npm package `not-installed` is not installed$/m);
  });
});
