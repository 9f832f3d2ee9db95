// How a recipe asks for the slurm executor, checked without a cluster: the batch script a stage's
// resources give, and the clear errors before anything is submitted (no remote, a code plugin, no sbatch).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatError } from '../../engine/cli/format-error.ts';
import { slurmSettings } from '../../engine/executors/slurm-settings.ts';
import { batchScript } from '../../engine/executors/slurm-commands.ts';
import type { ResolvedStage } from '../../engine/recipe/resolve.ts';
import { makeProject, runPipeline, tempa } from '../helpers/project.ts';
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../helpers/s3-server.ts';

const STAGE = `stages:
  upper:
    uses: exec
    with: { command: 'echo hi > "$TEMPA_OUT/hi.txt"', outputs: { hi: hi.txt } }
`;

const rejection = async (file: string, options: Parameters<typeof runPipeline>[1] = {}) =>
  runPipeline(file, options).then(
    () => assert.fail('expected the run to be refused'),
    (e: unknown) => formatError(e).replaceAll(`${path.dirname(file)}/`, ''),
  );

describe('slurm executor settings', () => {
  it("maps a stage's resources and the recipe's slurm settings to #SBATCH lines, and hands the job to tempa on the node", () => {
    const stage = { name: 'train', resources: { cpus: 4, memory: '16G', gpus: 2, time: '1-00:00:00' } } as ResolvedStage;
    const script = batchScript({ stage, settings: slurmSettings({ partition: 'gpu', account: 'lm', sbatchArgs: ['--exclusive'] }), command: "'/usr/bin/node' '/opt/tempa/bin/tempa.js'", job: '{"format":"x"}' });
    const flags = script.split('\n').filter((l) => l.startsWith('#SBATCH')).map((l) => l.slice('#SBATCH '.length));
    assert.deepEqual(flags, [
      '--job-name=tempa-train', '--chdir=/tmp', '--output=tempa-%x-%j.out', '--open-mode=append', '--requeue',
      '--cpus-per-task=4', '--mem=16G', '--gres=gpu:2', '--time=1-00:00:00', '--partition=gpu', '--account=lm', '--exclusive',
    ]);
    assert.match(script, /^exec '\/usr\/bin\/node' '\/opt\/tempa\/bin\/tempa\.js' stage-job --store "\$\{TMPDIR:-\/tmp\}\/tempa-job-\$SLURM_JOB_ID\.\$\{SLURM_RESTART_COUNT:-0\}" --scratch <<'TEMPA_JOB'\n\{"format":"x"\}\nTEMPA_JOB\n$/m);
    const kept = batchScript({ stage: { name: 'a' } as ResolvedStage, settings: slurmSettings({ storeDir: "/scratch/o'neil" }), command: 'tempa', job: '{}' });
    assert.match(kept, /stage-job --store '\/scratch\/o'\\''neil' <<'TEMPA_JOB'/, 'a kept store is quoted for the shell, and not deleted');
    assert.doesNotMatch(kept, /--cpus-per-task|--gres/);
  });

  it('refuses a slurm stage without a shared cache, naming the line that asked for slurm', async () => {
    const dir = await makeProject({ 'recipe.yaml': `executor: slurm\n${STAGE}` });
    const text = await rejection(path.join(dir, 'recipe.yaml'));
    assert.equal(text.split('\n')[0], 'recipe.yaml:1:11: error RECIPE_INVALID: executor: `upper` runs on Slurm, which needs a shared cache: the node gets its inputs and returns its result through it');
    assert.match(text, /hint: add `remote: s3:\/\/bucket\/prefix` to the recipe .* or pass --remote/);
    const cli = await tempa(['run', 'recipe.yaml', '--executor', 'slurm'], dir);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /^error RECIPE_INVALID: --executor: `upper` runs on Slurm/m);
  });

  it("a stage's own `executor: local` wins over the recipe's slurm: it runs here, no remote needed", async () => {
    const dir = await makeProject({ 'recipe.yaml': `executor: slurm\n${STAGE.replace("uses: exec\n", 'uses: exec\n    executor: local\n')}` });
    const run = await runPipeline(path.join(dir, 'recipe.yaml'));
    assert.deepEqual(run.ran, ['upper']);
  });

  it('refuses a code plugin on slurm, at its `uses:` line', async () => {
    const dir = await makeProject({
      'recipe.yaml': 'remote: s3://bucket-x/p\nstages:\n  mine:\n    uses: ./mine.ts\n    executor: slurm\n',
      'mine.ts': "export default { name: 'mine', version: 1, schema: { type: 'object' }, outputs: () => ({}), run: async () => ({ metrics: {}, artifacts: {} }) };\n",
    });
    const text = await rejection(path.join(dir, 'recipe.yaml'));
    assert.match(text, /^recipe\.yaml:4:11: error RECIPE_INVALID: stages\.mine\.uses: stage `mine` uses the code plugin `\.\/mine\.ts`, which a Slurm node cannot load/);
  });

  describe('with a bucket but no Slurm commands', () => {
    let s3: S3Server;
    const saved = { ...process.env };
    before(async () => {
      s3 = await startS3Server(['no-cluster']);
      Object.assign(process.env, S3_CREDENTIALS);
    });
    after(async () => {
      process.env = saved;
      await s3.close();
    });

    it('fails the stage saying what to install', async () => {
      const dir = await makeProject({ 'recipe.yaml': `remote: { url: s3://no-cluster/p, endpoint: "${s3.endpoint}" }\nslurm: { command: tempa }\n${STAGE}` });
      process.env.PATH = dir; // no sbatch on it
      const run = await runPipeline(path.join(dir, 'recipe.yaml'), { executor: 'slurm' }).finally(() => (process.env.PATH = saved.PATH));
      assert.deepEqual(run.failed, ['upper']);
      const error = run.outcomes[0]!.error!;
      assert.match(error.message, /^\[stage upper\] cannot run sbatch: /);
      assert.match(error.hint ?? '', /install them \(apt install slurm-client\)/);
    });
  });
});
