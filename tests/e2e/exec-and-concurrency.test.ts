// Real child processes: a failing command surfaces its log tail and exit 1 without committing; two
// `tempa run` sharing one store compute each stage exactly once and both succeed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, startTempa, tempa } from '../helpers/project.ts';

describe('exec stage', () => {
  it('a non-zero exit fails the stage with the tail of its log, exit code 1, nothing cached', async () => {
    const dir = await makeProject({
      'recipe.yaml': `stages:
  broken:
    uses: exec
    with:
      command: |
        for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "line $i"; done
        echo "something went wrong" >&2
        exit 3
  after:
    uses: exec
    needs: [broken]
    with: { command: "true" }
`,
    });
    const result = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error STAGE_FAILED\/SUBPROCESS_FAILED: \[stage broken\] `for i in .*` exited with code 3/);
    assert.match(result.stderr, /\| line 25\n\s+\| something went wrong/);
    assert.doesNotMatch(result.stderr, /\| line 5\n/, 'only the tail of the log is shown');
    const logPath = /hint: full log: (\S+)/.exec(result.stderr)?.[1];
    assert.ok(logPath && existsSync(logPath), 'the full log is kept after a failure');
    assert.match(readFileSync(logPath, 'utf8'), /line 1\n[\s\S]*something went wrong/);
    assert.match(result.stdout, /- after: skipped \(run stopped: broken failed\)|- after: skipped \(upstream broken failed\)/);
    assert.equal(existsSync(path.join(dir, '.tempa', 'runs')), false);
  });

  it('passes inputs, seed and env, and runs argv lists without a shell', async () => {
    const dir = await makeProject({
      'data.txt': 'x\n',
      'recipe.yaml': `seed: 42
datasets: { data: data.txt }
stages:
  show:
    uses: exec
    inputs: { my-data: data }
    with:
      command: [sh, -c, 'echo "$TEMPA_SEED $GREETING $(cat "$TEMPA_INPUT_MY_DATA")" > "$TEMPA_OUT/o.txt"; echo "$1"', sh, '$NOT_EXPANDED']
      env: { GREETING: hi }
      outputs: { o: o.txt }
`,
    });
    const result = await tempa(['run', 'recipe.yaml', '--json'], dir);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { stages: { outDir: string; logFile: string }[] };
    assert.equal(readFileSync(path.join(summary.stages[0]!.outDir, 'o.txt'), 'utf8'), '42 hi x\n');
    assert.equal(readFileSync(summary.stages[0]!.logFile, 'utf8'), '$NOT_EXPANDED\n');
  });

  it('fails when a declared output was not written', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  lazy:\n    uses: exec\n    with: { command: "true", outputs: { out: out.txt } }\n' });
    const result = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error STAGE_FAILED\/ARTIFACT_MISSING: \[stage lazy\] stage `lazy` did not produce output `out`: `out.txt` was not written/);
  });
});

describe('two runs on one store', () => {
  it('compute each stage once, and both finish with every stage done', async () => {
    // Each stage appends to a counter file outside the store, then sleeps so the runs overlap.
    const stage = (name: string, needs: string[]) => `  ${name}:
    uses: exec
    needs: [${needs.join(', ')}]
    with:
      command: echo ran >> ../count-${name}; sleep 0.5; echo ${name} > "$TEMPA_OUT/o.txt"
      outputs: { o: o.txt }
`;
    const dir = await makeProject({
      'p/recipe.yaml': `concurrency: 2\nstages:\n${stage('a', [])}${stage('b', ['a'])}${stage('c', ['a'])}${stage('d', ['b', 'c'])}`,
    });
    const project = path.join(dir, 'p');
    const first = startTempa(['run', 'recipe.yaml', '--json'], project);
    const second = startTempa(['run', 'recipe.yaml', '--json'], project);
    const results = await Promise.all([first.done, second.done]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    for (const name of ['a', 'b', 'c', 'd']) assert.equal(readFileSync(path.join(dir, `count-${name}`), 'utf8'), 'ran\n', `stage ${name} ran once`);
    const statuses = results.map((r) => (JSON.parse(r.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status));
    assert.equal(statuses.flat().filter((s) => s === 'ran').length, 4);
    assert.equal(statuses.flat().filter((s) => s === 'cached').length, 4);
    const lock = readFileSync(path.join(project, 'recipe.lock'), 'utf8');
    for (const name of ['a', 'b', 'c', 'd']) assert.match(lock, new RegExp(`^  ${name}:\\n    key: [0-9a-f]{64}$`, 'm'));
  });
});
