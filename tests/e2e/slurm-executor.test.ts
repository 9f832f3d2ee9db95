// Stages run as Slurm jobs on a real one-node cluster (slurmctld + slurmd on 127.0.0.1), their inputs and
// results moving through a real S3-compatible server: the same output hashes as a local run, a job the
// scheduler kills resubmitted and resumed from its checkpoint, independent stages as concurrent jobs,
// Ctrl-C cancelling them. The node's store is its own temp folder: it shares only the bucket with the run.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentReporter, type RunReporter } from '../../engine/events.ts';
import { makeProject, REPO_ROOT, runPipeline, startTempa, waitFor, writeFiles } from '../helpers/project.ts';
import { tinyModelRecipe } from '../helpers/tiny-model-recipe.ts';
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm-cluster.ts';

const BUCKET = 'cluster-cache';
const skip = slurmUnavailable();
const TEMPA_COMMAND = `${process.execPath} ${path.join(REPO_ROOT, 'bin', 'tempa.js')}`;

/** The recipe's header: a bucket, and jobs that start this checkout's tempa and are polled often. */
const header = (s3: S3Server, prefix: string, workDir: string) => `remote: { url: "s3://${BUCKET}/${prefix}", endpoint: "${s3.endpoint}" }
slurm: { command: "${TEMPA_COMMAND}", pollSeconds: 0.3, workDir: "${workDir}" }
`;

const CHAIN = `datasets: { words: words.txt }
stages:
  upper:
    uses: exec
    inputs: { words: words }
    resources: { cpus: 1, memory: 200M, time: "5:00" }
    with:
      command: tr a-z A-Z < "$TEMPA_INPUT_WORDS" > "$TEMPA_OUT/upper.txt"; echo "made upper on the node"
      outputs: { text: upper.txt }
  split:
    uses: exec
    inputs: { text: upper.text }
    with:
      command: mkdir -p "$TEMPA_OUT/parts"; split -l 2 "$TEMPA_INPUT_TEXT" "$TEMPA_OUT/parts/p"
      outputs: { parts: parts/ }
`;

function recorder(): { reporter: RunReporter; lines: string[] } {
  const lines: string[] = [];
  return { lines, reporter: { ...silentReporter, stageLog: (name, level, m) => void lines.push(`${name} ${level}: ${m}`) } };
}

describe('the slurm executor on a one-node cluster', { skip }, () => {
  let s3: S3Server;
  let cluster: SlurmCluster;
  const saved = { ...process.env };

  before(async () => {
    [s3, cluster] = await Promise.all([startS3Server([BUCKET]), startSlurmCluster()]);
    Object.assign(process.env, S3_CREDENTIALS, cluster.env);
    delete process.env.AWS_PROFILE;
  });
  after(async () => {
    process.env = saved;
    await cluster?.close();
    await s3?.close();
  });

  it('a stage run as a Slurm job gives the same keys and output hashes as a local run, its log streamed back', async () => {
    const files = { 'words.txt': 'alpha\nbeta\ngamma\ndelta\nepsilon\n' };
    const local = await makeProject({ 'p/recipe.yaml': CHAIN, 'p/words.txt': files['words.txt'] });
    const here = await runPipeline(path.join(local, 'p', 'recipe.yaml'));
    assert.deepEqual(here.ran, ['upper', 'split']);

    const remote = await makeProject({ 'p/words.txt': files['words.txt'] });
    await writeFiles(remote, { 'p/recipe.yaml': `${header(s3, 'same', remote)}executor: slurm\n${CHAIN}` });
    const { reporter, lines } = recorder();
    const there = await runPipeline(path.join(remote, 'p', 'recipe.yaml'), { reporter });
    assert.deepEqual(there.failed, [], lines.join('\n'));
    assert.deepEqual(there.ran, ['upper', 'split']);
    assert.deepEqual(there.entries, here.entries, 'the same keys and output hashes, file by file');
    assert.ok(lines.some((l) => /^upper info: submitted as Slurm job \d+$/.test(l)), lines.join('\n'));
    assert.equal(lines.filter((l) => l === 'upper info: made upper on the node').length, 1, "the job's log is shown, each line once");
    const results = (await s3.list(BUCKET, 'same/results/')).length;
    assert.equal(results, 2, 'each result came back through the bucket');
    const upper = there.outcomes.find((o) => o.name === 'upper')!;
    assert.equal(await readFile(path.join(upper.outDir!, 'upper.txt'), 'utf8'), 'ALPHA\nBETA\nGAMMA\nDELTA\nEPSILON\n');
    assert.match(await readFile(upper.logFile!, 'utf8'), /made upper on the node/, 'the node\'s log is the result\'s log');
  });

  // First attempt: records progress in its checkpoint folder, then waits to be killed. A later attempt
  // sees that progress (pulled back from the bucket into a fresh node store) and finishes.
  const RESUMING = (tag: string) => `stages:
  train:
    uses: exec
    with:
      command: |
        if [ -f "$TEMPA_CHECKPOINT_DIR/progress" ]; then
          echo "resumed from $(cat "$TEMPA_CHECKPOINT_DIR/progress")" > "$TEMPA_OUT/result.txt"
        else
          echo "step 5 of ${tag}" > "$TEMPA_CHECKPOINT_DIR/progress"
          echo "checkpoint written"
          sleep 60
          echo "restarted from scratch" > "$TEMPA_OUT/result.txt"
        fi
      outputs: { result: result.txt }
`;

  /** Runs the resuming recipe, and once its checkpoint is in the bucket does `kill` to its job. */
  async function killMidRun(prefix: string, kill: (id: string) => void | Promise<void>) {
    const dir = await makeProject({});
    await writeFiles(dir, { 'p/recipe.yaml': `${header(s3, prefix, dir)}executor: slurm\n${RESUMING(prefix)}` });
    const { reporter, lines } = recorder();
    const running = runPipeline(path.join(dir, 'p', 'recipe.yaml'), { reporter });
    await waitFor(async () => (await s3.list(BUCKET, `${prefix}/jobs/`)).some((n) => n.endsWith('/checkpoint.json')) && lines.some((l) => l.endsWith('checkpoint written')), 30_000, 'the checkpoint to reach the bucket');
    const id = /submitted as Slurm job (\d+)/.exec(lines.join('\n'))![1]!;
    await kill(id);
    const run = await running;
    const output = await readFile(path.join(dir, `tempa-tempa-train-${id}.out`), 'utf8').catch(() => 'no job output');
    assert.deepEqual(run.failed, [], [...lines, ...run.outcomes.map((o) => o.error?.message), 'job output:', output, await cluster.logs()].join('\n'));
    const result = await readFile(path.join(run.outcomes[0]!.outDir!, 'result.txt'), 'utf8');
    assert.equal(result, `resumed from step 5 of ${prefix}\n`, 'it resumed from its checkpoint, not from scratch');
    const snapshot = (await s3.list(BUCKET, `${prefix}/jobs/`)).find((n) => n.endsWith('/checkpoint.json'))!;
    assert.deepEqual(JSON.parse((await s3.get(BUCKET, snapshot)).toString()), { files: {} }, 'a finished stage drops its checkpoint, as a local run does');
    return { id, lines };
  }

  it('a job the scheduler cancels is submitted again and resumes from its checkpoint', async () => {
    const { id, lines } = await killMidRun('cancelled', (job) => void cluster.slurm('scancel', [job]));
    assert.ok(lines.some((l) => l.includes(`Slurm job ${id} ended CANCELLED`) && l.includes('submitting it again')), lines.join('\n'));
    assert.ok(lines.some((l) => /submitted as Slurm job \d+ \(resubmission 1 of at most 3\)/.test(l)), lines.join('\n'));
  });

  it('a job the scheduler requeues runs again and resumes from its checkpoint', async (t) => {
    const { id, lines } = await killMidRun('requeued', async (job) => {
      cluster.slurm('scontrol', ['requeue', job]);
      // Slurm holds a requeued job back for two minutes; the test, as the cluster's admin, lets it go now.
      await waitFor(() => cluster.jobs().includes(`${job}|PENDING`), 20_000, 'the requeued job to be pending');
      cluster.slurm('scontrol', ['update', `JobId=${job}`, 'StartTime=now']);
    });
    assert.ok(lines.some((l) => l.includes(`Slurm requeued job ${id}`)), lines.join('\n'));
    const rerun = lines.some((l) => l.includes(`job ${id} (restart 1) on`));
    // Forcing the start is what Slurm's two-minute hold prevents: now and then slurmd refuses the relaunch
    // ("Job credential revoked", "already killed, do not launch"), the job ends FAILED without tempa having
    // said why, and tempa submits it anew, as for any job lost that way; it resumes all the same.
    if (!rerun) t.diagnostic(`Slurm did not rerun job ${id}; tempa resubmitted it:\n${lines.join('\n')}\n${await cluster.logs()}`);
    assert.ok(rerun || lines.some((l) => /\(resubmission 1 of at most 3\)/.test(l)), lines.join('\n'));
  });

  it('a training stage cancelled mid-run resumes from its last checkpoint on a fresh node store', async () => {
    const dir = await makeProject({});
    const recipe = `${header(s3, 'pretrain', dir)}${tinyModelRecipe({ seed: 3, backend: 'wasm', blockSize: 16 })}  pretrain:
    uses: pretrain
    executor: slurm
    resources: { cpus: 1, memory: 1G }
    inputs: { model: init.model, train: corpus.records }
    with: { steps: 1000, batchSize: 4, lr: 0.01, evalEvery: 1000, evalBatches: 1, checkpointEvery: 100, logEvery: 500, sample: { maxTokens: 4 } }
`;
    await writeFiles(dir, { 'p/recipe.yaml': recipe });
    const { reporter, lines } = recorder();
    const running = runPipeline(path.join(dir, 'p', 'recipe.yaml'), { reporter });
    await waitFor(async () => (await s3.list(BUCKET, 'pretrain/jobs/')).some((n) => n.endsWith('/checkpoint.json')), 60_000, 'a checkpoint in the bucket').catch(async (e: Error) => {
      throw new Error(`${e.message}\n${lines.join('\n')}\n${(await s3.list(BUCKET, 'pretrain/')).join('\n')}`);
    });
    const id = /submitted as Slurm job (\d+)/.exec(lines.join('\n'))![1]!;
    cluster.slurm('scancel', [id]);
    const run = await running;
    assert.deepEqual(run.failed, [], [...lines, ...run.outcomes.map((o) => o.error?.message)].join('\n'));
    assert.deepEqual(run.ran, ['corpus', 'tokenizer', 'init', 'pretrain'], 'the first three here, pretrain on the cluster');
    const pretrain = run.outcomes.find((o) => o.name === 'pretrain')!;
    const resumedFrom = pretrain.metrics!.resumedFrom!;
    assert.ok(resumedFrom > 0 && resumedFrom < 1000 && resumedFrom % 100 === 0, `resumed from step ${resumedFrom}, not from scratch\n${lines.join('\n')}\n${await readFile(path.join(dir, `tempa-tempa-pretrain-${id}.out`), 'utf8').catch(() => '')}`);
    assert.ok(lines.includes(`pretrain info: resuming from the checkpoint at step ${resumedFrom}`), lines.join('\n'));
    assert.ok(pretrain.metrics!.valLoss! < pretrain.metrics!.initialValLoss!, 'and it trained');
  });

  it('independent stages run as concurrent jobs, and Ctrl-C cancels them', async () => {
    const slow = (name: string) => `  ${name}:\n    uses: exec\n    with: { command: 'echo ${name} started; sleep 60; touch "$TEMPA_OUT/x"', outputs: { x: x } }\n`;
    const dir = await makeProject({});
    await writeFiles(dir, { 'p/recipe.yaml': `${header(s3, 'cancel', dir)}stages:\n${slow('left')}${slow('right')}` });
    const { child, done } = startTempa(['run', 'recipe.yaml', '--executor', 'slurm'], path.join(dir, 'p'));
    const running = () => ['left', 'right'].map((n) => cluster.jobs(`tempa-${n}`).filter((j) => j.endsWith('|RUNNING')).length);
    await waitFor(() => running().every((n) => n === 1), 30_000, 'both stages to be running jobs at once');
    process.kill(child.pid!, 'SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    const states = ['left', 'right'].flatMap((n) => cluster.jobs(`tempa-${n}`));
    assert.equal(states.length, 2);
    for (const job of states) assert.match(job, /\|(CANCELLED|COMPLETING)$/, states.join('\n'));
    assert.match(result.stdout + result.stderr, /cancelled Slurm job \d+/);
  });
});
