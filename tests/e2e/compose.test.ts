// Recipe composition for sharing: `extends` (deep merge, stages overridden by name), `--set`
// overrides typed by the schema, `${}` references, and `show --resolved` printing the result.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { RecipeErrors } from '../../engine/errors.ts';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { TEMPA } from '../../stages/builtin.ts';
import { makeProject, runPipeline, tempa, writeFiles } from '../helpers/project.ts';

const BASE = `name: base
seed: 1
vars:
  fraction: 0.1
datasets:
  corpus: data/corpus.jsonl
stages:
  split:
    uses: split-data
    inputs: { records: corpus }
    with:
      validFraction: \${vars.fraction}
  report:
    uses: exec
    inputs: { train: split.train }
    with:
      command: wc -l < "$TEMPA_INPUT_TRAIN" > "$TEMPA_OUT/n.txt"
      env: { LABEL: base, MODE: fast }
      outputs: { n: n.txt }
`;

const CHILD = `extends: ../base.yaml
name: child
vars:
  fraction: 0.25
stages:
  report:
    with:
      env: { LABEL: child, MODE: null }
  extra:
    uses: exec
    needs: [report]
    with: { command: "true" }
`;

const corpus = Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `record ${i}` })).join('\n');

async function project() {
  return makeProject({ 'base.yaml': BASE, 'variants/child.yaml': CHILD, 'data/corpus.jsonl': `${corpus}\n` });
}

describe('extends', () => {
  it('merges deeply: stages override by name, key by key; null deletes; references see the child values', async () => {
    const dir = await project();
    const recipe = await resolveRecipe(path.join(dir, 'variants', 'child.yaml'), TEMPA);
    assert.equal(recipe.name, 'child');
    assert.equal(recipe.seed, 1);
    assert.deepEqual(recipe.stages.map((s) => s.name), ['split', 'report', 'extra']);
    const report = recipe.stages.find((s) => s.name === 'report')!;
    assert.deepEqual((report.params as { env: object }).env, { LABEL: 'child' });
    assert.match((report.params as { command: string }).command, /^wc -l/);
    assert.equal((recipe.stages[0]!.params as { validFraction: number }).validFraction, 0.25);
    // the dataset path is relative to the file that declared it (base.yaml), not the child
    assert.deepEqual(recipe.datasets.corpus, { name: 'corpus', paths: ['data/corpus.jsonl'], dir, external: false });
  });

  it('runs the child recipe, and errors point into the file that set the bad value', async () => {
    const dir = await project();
    const run = await runPipeline(path.join(dir, 'variants', 'child.yaml'));
    assert.deepEqual(run.ran, ['split', 'report', 'extra']);
    await writeFiles(dir, { 'variants/child.yaml': CHILD.replace('fraction: 0.25', 'fraction: lots') });
    const error = await resolveRecipe(path.join(dir, 'variants', 'child.yaml'), TEMPA).catch((e: unknown) => e);
    assert.ok(error instanceof RecipeErrors);
    const [first] = error.errors;
    assert.equal(first!.field, 'stages.split.with.validFraction');
    assert.equal(first!.message, 'expected number, got string "lots"');
    // the referencing node lives in base.yaml, line 12
    assert.deepEqual({ ...first!.location, file: path.basename(first!.location!.file) }, { file: 'base.yaml', line: 12, col: 22 });
  });
});

describe('--set', () => {
  it('overrides values with YAML types, and keeps text where the schema wants a string', async () => {
    const dir = await project();
    const recipe = await resolveRecipe(path.join(dir, 'base.yaml'), TEMPA, {
      sets: ['vars.fraction=0.5', 'stages.report.with.env.LABEL=007', 'stages.report.with.cwd=1', 'seed=9'],
    });
    assert.equal((recipe.stages[0]!.params as { validFraction: number }).validFraction, 0.5);
    const report = recipe.stages.find((s) => s.name === 'report')!.params as { env: Record<string, string>; cwd: string };
    assert.equal(report.env.LABEL, '007');
    assert.equal(report.cwd, '1');
    assert.equal(recipe.seed, 9);
  });

  it('a bad override is reported against the --set, not a file line', async () => {
    const dir = await project();
    const error = await resolveRecipe(path.join(dir, 'base.yaml'), TEMPA, { sets: ['stages.split.with.validFraction=high'] }).catch((e: unknown) => e);
    assert.ok(error instanceof RecipeErrors);
    assert.equal(error.errors[0]!.location?.file, '--set stages.split.with.validFraction');
    assert.equal(error.errors[0]!.message, 'expected number, got string "high"');
  });

  it('changing a value through --set changes the key exactly like editing the file', async () => {
    const dir = await project();
    const base = path.join(dir, 'base.yaml');
    assert.deepEqual((await runPipeline(base)).ran, ['split', 'report']);
    assert.deepEqual((await runPipeline(base, { sets: ['stages.report.with.env.MODE=slow'] })).ran, ['report']);
    assert.deepEqual((await runPipeline(base, { sets: ['stages.report.with.env.MODE=fast'] })).ran, []);
  });
});

describe('tempa show --resolved', () => {
  it('prints the fully resolved recipe: extends merged, references and --set applied, defaults filled', async () => {
    const dir = await project();
    const result = await tempa(['show', 'variants/child.yaml', '--resolved', '--set', 'stages.extra.with.cwd=sub'], dir);
    assert.equal(result.code, 0, result.stderr);
    const shown = parse(result.stdout) as { extends?: string; stages: Record<string, { with: Record<string, unknown> }> };
    assert.equal(shown.extends, undefined);
    assert.deepEqual(shown.stages.split!.with, { validFraction: 0.25, testFraction: 0 });
    assert.deepEqual(shown.stages.extra!.with, { command: 'true', cwd: 'sub', env: {}, outputs: {} });
  });
});
