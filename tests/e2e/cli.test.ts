// The command line as users drive it: status with reasons, dry runs, stage selection, forcing,
// keep-going, dag formats, gc, and a corrupt cache entry being repaired.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { makeProject, runPipeline, tempa } from '../helpers/project.ts';

//  dataset words ──> first ──> second ──> third
//                    alone
const stage = (name: string, from: string, extra = '') => `  ${name}:
    uses: exec
    inputs: { src: ${from} }
    with:
      command: cat "$TEMPA_INPUT_SRC" > "$TEMPA_OUT/o.txt"; echo ${name} >> "$TEMPA_OUT/o.txt"
      env: { TAG: "${extra}" }
      outputs: { o: o.txt }
`;
const RECIPE = `datasets:
  words: words.txt
stages:
${stage('first', 'words')}${stage('second', 'first.o')}${stage('third', 'second.o')}  alone:
    uses: exec
    with: { command: echo alone > "$TEMPA_OUT/a.txt", outputs: { a: a.txt } }
`;

describe('tempa CLI', () => {
  let dir: string;
  const recipe = () => path.join(dir, 'recipe.yaml');

  before(async () => {
    dir = await makeProject({ 'words.txt': 'one\n', 'recipe.yaml': RECIPE });
  });

  it('status and --dry-run say why each stage would run, and run nothing', async () => {
    const status = await tempa(['status', 'recipe.yaml'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^first\s+stale: never run \(not in the lock file\)$/m);
    assert.match(status.stdout, /^second\s+stale: upstream first will rerun$/m);
    const dry = await tempa(['run', 'recipe.yaml', '--dry-run'], dir);
    assert.match(dry.stdout, /○ first: would run: never run/);
    assert.equal(existsSync(path.join(dir, '.tempa', 'runs')), false);
  });

  it('--to runs a stage and its upstream only; --only refuses a stage whose upstream is not cached', async () => {
    const refused = await runPipeline(recipe(), { only: ['third'] });
    assert.deepEqual(refused.ran, []);
    assert.deepEqual(refused.failed, ['first']);
    assert.match(refused.outcomes.find((o) => o.name === 'first')!.error!.message, /stage `third` needs `first`, which is not selected and has no cached result/);
    assert.deepEqual((await runPipeline(recipe(), { to: ['second'] })).ran, ['first', 'second']);
    assert.deepEqual((await runPipeline(recipe(), { only: ['third'] })).ran, ['third']);
  });

  it('status names the changed file and the changed parameter', async () => {
    assert.deepEqual((await runPipeline(recipe())).ran, ['alone']);
    await appendFile(path.join(dir, 'words.txt'), 'two\n');
    await writeFile(recipe(), RECIPE.replace('TAG: "" }\n      outputs: { o: o.txt }\n  third', 'TAG: "x" }\n      outputs: { o: o.txt }\n  third'));
    const status = await tempa(['status', 'recipe.yaml', '--json'], dir);
    const rows = JSON.parse(status.stdout) as { name: string; status: string; key: string; reasons: string[] }[];
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.deepEqual(byName.first!.reasons, ['input src changed: words.txt modified']);
    assert.deepEqual(byName.alone, { name: 'alone', status: 'cached', key: byName.alone!.key, reasons: [] });
    assert.deepEqual(byName.second!.reasons, ['upstream first will rerun']);
    assert.deepEqual((await runPipeline(recipe(), { only: ['first'] })).ran, ['first']);
    const after = JSON.parse((await tempa(['status', 'recipe.yaml', '--json'], dir)).stdout) as { name: string; reasons: string[] }[];
    assert.deepEqual(after.find((r) => r.name === 'second')!.reasons, ['param env.TAG: "" -> "x"', 'input src changed: o.txt modified']);
  });

  it('--from reruns a stage and its descendants; --force reruns cached stages', async () => {
    assert.deepEqual((await runPipeline(recipe(), { from: ['second'] })).ran, ['second', 'third']);
    assert.deepEqual((await runPipeline(recipe(), { force: ['second'] })).ran, ['second']);
    assert.deepEqual((await runPipeline(recipe(), { force: true, only: ['alone'] })).ran, ['alone']);
  });

  it('keep-going runs independent stages after a failure and skips only dependents', async () => {
    const broken = RECIPE.replace('cat "$TEMPA_INPUT_SRC" > "$TEMPA_OUT/o.txt"; echo first', 'exit 1; echo first');
    const project = await makeProject({ 'words.txt': 'one\n', 'recipe.yaml': `onError: keep-going\nconcurrency: 1\n${broken}` });
    const run = await runPipeline(path.join(project, 'recipe.yaml'));
    assert.deepEqual(run.failed, ['first']);
    assert.deepEqual(run.ran, ['alone']);
    assert.deepEqual(
      run.outcomes.filter((o) => o.status === 'skipped').map((o) => `${o.name}: ${o.reasons.join()}`),
      ['second: upstream first failed', 'third: upstream second did not run'],
    );
  });

  it('dag prints text, mermaid and dot', async () => {
    const text = await tempa(['dag', 'recipe.yaml'], dir);
    assert.equal(text.stdout, 'first   exec  <- dataset words\nsecond  exec  <- first\nthird   exec  <- second\nalone   exec\n');
    const mermaid = await tempa(['dag', 'recipe.yaml', '--format', 'mermaid'], dir);
    assert.match(mermaid.stdout, /^graph TD\n {2}words\[\(words\)\]\n/);
    assert.match(mermaid.stdout, /^ {2}first --> second$/m);
    const dot = await tempa(['dag', 'recipe.yaml', '--format', 'dot'], dir);
    assert.match(dot.stdout, /^ {2}"second" -> "third";$/m);
    const bad = await tempa(['dag', 'recipe.yaml', '--format', 'svg'], dir);
    assert.equal(bad.code, 2);
  });

  it('a corrupt cache entry is warned about, deleted and recomputed', async () => {
    const project = await makeProject({ 'words.txt': 'one\n', 'recipe.yaml': RECIPE });
    const first = await runPipeline(path.join(project, 'recipe.yaml'));
    const outDir = first.outcomes.find((o) => o.name === 'second')!.outDir!;
    await chmod(path.join(outDir, 'o.txt'), 0o644); // committed outputs are read-only
    await writeFile(path.join(outDir, 'o.txt'), 'truncated');
    const result = await tempa(['run', 'recipe.yaml'], project);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /second: warning: cache entry [0-9a-f]{12} is corrupt \(output file out\/o\.txt has \d+ bytes, recorded \d+\); deleting it and recomputing/);
    assert.match(result.stdout, /✔ second: ran/);
    assert.match(result.stdout, /↷ third: cached/, 'the recomputed output is identical, so downstream hits');
  });

  it('gc drops results no lock file references, and --dry-run only lists them', async () => {
    const before = readdirSync(path.join(dir, '.tempa', 'runs')).length;
    const dry = await tempa(['gc', 'recipe.yaml', '--dry-run'], dir);
    assert.match(dry.stdout, /would remove (\d+) results .* kept 4 referenced by 1 lock file/);
    const removed = Number(/would remove (\d+) results/.exec(dry.stdout)![1]);
    assert.ok(removed >= 3, dry.stdout);
    const checkpoint = path.join(dir, '.tempa', 'checkpoints', 'f'.repeat(64));
    await mkdir(checkpoint, { recursive: true });
    await writeFile(path.join(checkpoint, 'state.json'), '{}');
    const gc = await tempa(['gc', 'recipe.yaml'], dir);
    assert.match(gc.stdout, new RegExp(`removed ${removed} results`));
    assert.ok(existsSync(checkpoint), 'checkpoints of interrupted runs are resumable work: kept by default');
    await tempa(['gc', 'recipe.yaml', '--checkpoints'], dir);
    assert.equal(existsSync(checkpoint), false);
    const status = JSON.parse((await tempa(['status', 'recipe.yaml', '--json'], dir)).stdout) as { status: string }[];
    assert.deepEqual(status.map((s) => s.status), ['cached', 'cached', 'cached', 'cached']);
    assert.ok(before > 0);
  });
});

describe('tempa show with the default recipe', () => {
  it('`show STAGE` shows that stage of tempa.yaml, as `show tempa.yaml STAGE` does', async () => {
    const dir = await makeProject({ 'words.txt': 'one\n', 'tempa.yaml': RECIPE });
    const run = await tempa(['run', '--only', 'alone'], dir);
    assert.equal(run.code, 0, run.stderr);
    const short = await tempa(['show', 'alone'], dir);
    const long = await tempa(['show', 'tempa.yaml', 'alone'], dir);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /^stage:\s+alone \(exec\)$/m);
    assert.equal(short.stdout, long.stdout);
  });
});
