// `tempa sweep`: 4 variants of a tiny training recipe share their first stages through the store, so
// each shared stage runs once however many variants run at once; a rerun runs nothing; the recipe's own
// lock is never written; a failing variant leaves the others to finish; bad grids are usage errors.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, startTempa, tempa, waitFor } from '../helpers/project.ts';
import { tinyModelRecipe } from '../helpers/tiny-model-recipe.ts';

const PIPELINE = `${tinyModelRecipe({ seed: 3, backend: 'cpu', vocabSize: 280, blockSize: 16, sampleTokens: 2 })}  pretrain:
    uses: pretrain
    inputs: { model: init.model, train: corpus.records }
    with: { steps: 3, batchSize: 4, lr: 0.01, evalEvery: 3, evalBatches: 1, sample: { maxTokens: 2 } }
`;

interface SweepJson {
  ok: boolean;
  ran: number;
  reused: number;
  commonStages: string[];
  varyingStages: string[];
  variants: Array<{ index: number; values: Record<string, string>; ok: boolean; error?: string; lockFile?: string; stages: Array<{ name: string; status: string; metrics?: Record<string, number>; sharedWith?: number }> }>;
}

const GRID = ['--set', 'stages.pretrain.with.lr=0.01,0.03', '--set', 'stages.pretrain.with.steps=2,3'];

/** How many variants ran each stage (status `ran`: executeStage computed it, not the store). */
function runsPerStage(result: SweepJson): Record<string, number> {
  const runs: Record<string, number> = {};
  for (const v of result.variants) for (const s of v.stages) if (s.status === 'ran') runs[s.name] = (runs[s.name] ?? 0) + 1;
  return runs;
}

async function sweepJson(dir: string, args: string[]): Promise<SweepJson> {
  const result = await tempa(['sweep', '--trust', 'recipe.yaml', ...args, '--json'], dir);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as SweepJson;
}

describe('tempa sweep', () => {
  const lossesByJobs: Record<string, number[]> = {};
  for (const jobs of ['1', '4']) {
    it(`runs the shared stages once and the swept one per variant (--jobs ${jobs})`, async () => {
      const dir = await makeProject({ 'recipe.yaml': PIPELINE });
      const first = await sweepJson(dir, [...GRID, '--jobs', jobs]);
      assert.deepEqual(runsPerStage(first), { corpus: 1, tokenizer: 1, init: 1, pretrain: 4 });
      assert.equal(first.ran, 7);
      assert.equal(first.reused, 9);
      assert.deepEqual(first.commonStages, ['corpus', 'tokenizer', 'init']);
      assert.deepEqual(first.variants.map((v) => [v.values['stages.pretrain.with.lr'], v.values['stages.pretrain.with.steps']]), [['0.01', '2'], ['0.01', '3'], ['0.03', '2'], ['0.03', '3']]);
      const losses = first.variants.map((v) => v.stages.find((s) => s.name === 'pretrain')!.metrics!.valLoss!);
      assert.equal(new Set(losses).size, 4, `each variant trained its own model: ${losses}`);
      // Training variants at once must not change what each computes.
      lossesByJobs[jobs] = losses;
      if (lossesByJobs['1'] && jobs === '4') assert.deepEqual(losses, lossesByJobs['1']);

      // The recipe's own lock is left alone; each variant has its own, registered for gc.
      assert.equal(existsSync(path.join(dir, 'recipe.lock')), false);
      const locks = await readdir(path.join(dir, '.tempa', 'sweeps', 'recipe'));
      assert.equal(locks.length, 4);
      assert.deepEqual(JSON.parse(await readFile(path.join(dir, '.tempa', 'lockfiles.json'), 'utf8')), first.variants.map((v) => v.lockFile).sort());

      const again = await tempa(['sweep', '--trust', 'recipe.yaml', ...GRID, '--jobs', jobs], dir);
      assert.equal(again.code, 0, again.stderr);
      const rows = again.stdout.split('\n').filter((l) => /^\d+ {2}/.test(l));
      assert.equal(rows.length, 4, again.stdout);
      assert.match(again.stdout, /^#\s+lr\s+steps\s+status\s+ran\s+reused\s+pretrain\.valLoss\s+pretrain\.initialValLoss$/m);
      assert.match(rows[3]!, /^4\s+0\.03\s+3\s+ok\s+0\s+4\s+\d/);
      assert.match(again.stdout, /4 variants: 0 stage runs ran, 16 reused from the store; the same in every variant: corpus, tokenizer, init/);

      const gc = await tempa(['gc', 'recipe.yaml', '--dry-run'], dir);
      assert.match(gc.stdout, /would remove 0 results/, 'the variant locks keep their results from gc');
    });
  }

  it('a dry run lists which stages each variant would run and which it would share, and runs nothing', async () => {
    const dir = await makeProject({ 'recipe.yaml': PIPELINE });
    const result = await tempa(['sweep', 'recipe.yaml', ...GRID, '--dry-run'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /variant 1: lr=0\.01 steps=2\n {2}would run: corpus, tokenizer, init, pretrain\n/);
    assert.match(result.stdout, /variant 4: lr=0\.03 steps=3\n {2}would run: pretrain\n {2}shared: corpus \(from variant 1\), tokenizer \(from variant 1\), init \(from variant 1\)\n/);
    assert.match(result.stdout, /4 variants: 7 stage runs would run, 9 would be reused/);
    assert.equal(existsSync(path.join(dir, '.tempa', 'runs')), false);
  });
});

// Exec stages count their own executions in a file outside the store: a count no engine report can fake.
const COUNTED = `vars: { n: 1, m: a, code: 0 }
stages:
  prep: { uses: exec, with: { command: "sleep 0.3; echo prep >> runs.txt; echo hi > $TEMPA_OUT/a.txt", outputs: { a: a.txt } } }
  mid: { uses: exec, inputs: { a: prep.a }, with: { command: "echo mid-\${vars.m} >> runs.txt; echo \${vars.m} > $TEMPA_OUT/m.txt", outputs: { m: m.txt } } }
  last: { uses: exec, inputs: { m: mid.m }, with: { command: "echo last-\${vars.m}-\${vars.n} >> runs.txt; exit \${vars.code}", outputs: {} } }
`;

const runsFile = async (dir: string, file = 'runs.txt') => (await readFile(path.join(dir, file), 'utf8')).trim().split('\n').sort();

describe('tempa sweep, counted by the stages themselves', () => {
  it('shares a partly common chain between 4 concurrent variants: each distinct stage runs once', async () => {
    const dir = await makeProject({ 'recipe.yaml': COUNTED });
    const result = await sweepJson(dir, ['--set', 'vars.m=a,b', '--set', 'vars.n=1,2', '--jobs', '4']);
    assert.deepEqual(await runsFile(dir), ['last-a-1', 'last-a-2', 'last-b-1', 'last-b-2', 'mid-a', 'mid-b', 'prep']);
    assert.deepEqual(runsPerStage(result), { prep: 1, mid: 2, last: 4 });
    assert.deepEqual(result.commonStages, ['prep']);
    await sweepJson(dir, ['--set', 'vars.m=a,b', '--set', 'vars.n=1,2', '--jobs', '4']);
    assert.equal((await runsFile(dir)).length, 7, 'the rerun ran nothing');
  });

  it('two sweeps started at once on one store compute each stage once between them', async () => {
    const dir = await makeProject({ 'recipe.yaml': COUNTED });
    const grid = ['--set', 'vars.m=a,b', '--set', 'vars.n=1,2', '--json'];
    const [a, b] = await Promise.all([tempa(['sweep', '--trust', 'recipe.yaml', ...grid], dir), tempa(['sweep', '--trust', 'recipe.yaml', ...grid, '--jobs', '1'], dir)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await runsFile(dir), ['last-a-1', 'last-a-2', 'last-b-1', 'last-b-2', 'mid-a', 'mid-b', 'prep']);
    const ran = [a, b].map((r) => (JSON.parse(r.stdout) as SweepJson).ran);
    assert.equal(ran[0]! + ran[1]!, 7, `ran ${ran.join(' + ')}`);
  });

  // A terminal's Ctrl-C reaches the whole process group; `kill -INT <pid>` the sweep alone.
  for (const [to, target] of [['the sweep alone', (pid: number) => pid], ['its process group', (pid: number) => -pid]] as const) {
    it(`Ctrl-C sent to ${to} stops every variant's process and what it runs, and exits 130`, async () => {
      const recipe = `vars: { n: 1 }\nstages:\n  hang: { uses: exec, with: { command: "echo $$ > ../pid-\${vars.n}; sleep 60", outputs: {} } }\n`;
      const dir = await makeProject({ 'project/recipe.yaml': recipe });
      const { child, done } = startTempa(['sweep', '--trust', 'recipe.yaml', '--set', 'vars.n=1,2', '--jobs', '2'], path.join(dir, 'project'));
      const pidFiles = ['pid-1', 'pid-2'].map((f) => path.join(dir, f));
      await waitFor(() => pidFiles.every((f) => existsSync(f)), 30_000, 'both variants to start their command');
      process.kill(target(child.pid!), 'SIGINT');
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stdout, /^1\s+1\s+failed[^]*variant 2 \(n=2\) failed: \[stage hang\] interrupted/m);
      for (const file of pidFiles) {
        const pid = Number(await readFile(file, 'utf8'));
        assert.throws(() => process.kill(pid, 0), /ESRCH/, `the command of ${path.basename(file)} is gone`);
      }
    });
  }

  it('a failing variant is marked failed with its reason, the others finish, and the exit code is 1', async () => {
    const dir = await makeProject({ 'recipe.yaml': COUNTED });
    const result = await tempa(['sweep', '--trust', 'recipe.yaml', '--set', 'vars.code=0,3', '--set', 'vars.m=b', '--jobs', '1'], dir);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^1\s+0\s+ok\s+3\s+0$/m);
    assert.match(result.stdout, /^2\s+3\s+failed\s+0\s+2$/m);
    assert.match(result.stdout, /variant 2 \(code=3\) failed: .*last.*exit(ed with)? (code )?3/);
    assert.match(result.stdout, /2 variants \(1 failed\): 3 stage runs ran, 2 reused from the store, 1 failed or skipped/);
    assert.doesNotMatch(result.stderr, /internal error|at .*\.ts:\d+/);
  });

  it('shares the cores among variant processes running at once (TEMPA_THREADS = cores / jobs), unless TEMPA_THREADS is set', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'vars: { n: 1 }\nstages:\n  t: { uses: exec, with: { command: "echo ${vars.n}-$TEMPA_THREADS >> threads.txt", outputs: {} } }\n' });
    const sweep = async (values: string, jobs: string, threads: string) => {
      const result = await tempa(['sweep', '--trust', 'recipe.yaml', '--set', `vars.n=${values}`, '--jobs', jobs, '--json'], dir, undefined, { env: { TEMPA_THREADS: threads } });
      assert.equal(result.code, 0, result.stderr);
    };
    const cores = os.availableParallelism();
    await sweep('1,2', '2', '');
    await sweep('3,4', '1', '');
    await sweep('5,6', '2', '7');
    const perCore = Math.max(1, Math.floor(cores / 2));
    assert.deepEqual(await runsFile(dir, 'threads.txt'), [`1-${perCore}`, `2-${perCore}`, `3-${cores}`, `4-${cores}`, '5-7', '6-7']);
  });

  it('sweeps list values written as YAML flow sequences, one variant per list', async () => {
    const dir = await makeProject({ 'recipe.yaml': COUNTED });
    const result = await sweepJson(dir, ['--set', 'stages.last.with.command=[sh, -c, "echo x,y >> runs.txt"],[sh, -c, "echo z >> runs.txt"]']);
    assert.deepEqual(result.variants.map((v) => v.values['stages.last.with.command']), ['[sh, -c, "echo x,y >> runs.txt"]', '[sh, -c, "echo z >> runs.txt"]']);
    assert.deepEqual(await runsFile(dir), ['mid-a', 'prep', 'x,y', 'z']);
  });

  it('refuses grids it cannot run, naming the flag and value, with a hint and no stack trace', async () => {
    const dir = await makeProject({ 'recipe.yaml': COUNTED });
    const cases: Array<[string[], RegExp]> = [
      [['--set', 'stages.lats.with.command=a,b'], /--set stages\.lats\.with\.command=a,b: the recipe has no stage `lats`\n {2}hint: did you mean `last`\?/],
      [['--set', 'stagse.last.with.command=a,b'], /a recipe has no top-level key `stagse`\n {2}hint: did you mean `stages`\?/],
      [['--set', 'stages.last.with.comand=a,b'], /variant 1 \(comand=a\) is not a valid recipe[^]*unknown key `comand`[^]*did you mean `command`\?/],
      [['--set', 'vars.n='], /--set vars\.n=: no value given/],
      [['--set', 'vars.n=1'], /needs at least one --set with two or more values/],
      [['--set', 'vars.unused=1,2'], /--set vars\.unused=1,2: `1` and `2` give the same stages[^]*hint: sweep a value a stage uses/],
      [['--set', 'runtime.backend=cpu,wasm'], /`cpu` and `wasm` give the same stages[^]*runtime options are not part of any cache key/],
    ];
    for (const [args, pattern] of cases) {
      const result = await tempa(['sweep', 'recipe.yaml', '--dry-run', ...args], dir);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
      assert.doesNotMatch(result.stderr, /internal error|\.ts:\d+:\d+\)/, args.join(' '));
    }
  });
});
