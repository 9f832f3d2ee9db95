// Declared rewards for RL stages: correctness and format from the task verifiers, DAPO's soft over-length
// penalty against TRL's formula, user rewards from a module and from a command (its crash, hang and bad
// output each stop the stage with an exact message), the recipe checks, and the weighted sum.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { PipelineError } from '../../../../engine/errors.ts';
import { overlongPenalty } from '../../../../stages/shared/rewards/builtin.ts';
import { buildRewards, rewardsSchema, validateRewards, type Completion, type RewardSpec } from '../../../../stages/shared/rewards/index.ts';
import { readScores } from '../../../../stages/shared/rewards/exec-reward.ts';
import type { TaskItem } from '../../../../stages/shared/tasks/types.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/rewards/', import.meta.url));
const SCRIPT = path.join(FIXTURES, 'score.mjs');
const NODE = process.execPath;
const options = { recipeDir: FIXTURES, displayName: (file: string) => path.relative(FIXTURES, file) };

const add: TaskItem = { task: 'reasoning/add', instruction: 'Add 47 and 85.', answer: '132' };
const countdown: TaskItem = { task: 'reasoning/countdown', instruction: 'Make 46 from 3 7 25 with +-*.', answer: '7*3+25' };
const completion = (item: TaskItem, response: string, extra: Partial<Completion> = {}): Completion => ({
  item,
  prompt: item.instruction,
  response,
  truncated: false,
  tokens: 10,
  maxTokens: 32,
  ...extra,
});
const BATCH: Completion[] = [
  completion(add, '7+5=12 carry\n4+8+1=13\nAnswer: 132'),
  completion(add, 'Answer: 131'),
  completion(add, 'The sum is 132, I think', { tokens: 30 }),
  completion(countdown, '25+3*7'),
  completion(countdown, '7+3+25 = 35', { tokens: 32, truncated: true }),
];

const build = (specs: RewardSpec[]) => buildRewards(specs, options);
const scores = async (spec: RewardSpec, batch: readonly Completion[] = BATCH) => (await build([spec]))[0]!.score(batch);

async function rejectsWith(promise: Promise<unknown>, expected: { code: string; message: string; hint?: string }): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PipelineError, String(error));
    assert.equal(error.message, expected.message);
    assert.equal(error.code, expected.code);
    if (expected.hint !== undefined) assert.equal(error.hint, expected.hint);
    return true;
  });
}

describe('built-in rewards', () => {
  it('correct: 1 when the verifier accepts the stated answer, else 0', async () => {
    assert.deepEqual(await scores({ type: 'correct' }), [1, 0, 0, 1, 0]);
  });

  it('format: 1 for an answer in the task format, right or wrong', async () => {
    assert.deepEqual(await scores({ type: 'format' }), [1, 1, 0, 1, 1]);
  });

  it('overlong: 0 up to maxTokens - cache, linear to -1 at maxTokens, -1 when truncated (TRL formula)', async () => {
    // TRL get_soft_overlong_punishment(max_completion_len=100, soft_punish_cache=20): 90 tokens give -0.5.
    const at = (tokens: number, truncated = false) => overlongPenalty({ tokens, maxTokens: 100, truncated }, 20);
    assert.deepEqual([at(0), at(80), at(81), at(90), at(99), at(100), at(101)], [0, 0, -0.05, -0.5, -0.95, -1, -1]);
    assert.equal(at(50, true), -1);
    assert.deepEqual(await scores({ type: 'overlong', cache: 8 }), [0, 0, -0.75, 0, -1]);
  });

  it('names default to the type; weights to 1', async () => {
    const rewards = await build([{ type: 'correct' }, { type: 'format', weight: 0.1 }, { type: 'overlong', cache: 8, name: 'length' }]);
    assert.deepEqual(rewards.map((r) => [r.name, r.weight]), [['correct', 1], ['format', 0.1], ['length', 1]]);
    assert.deepEqual(await rewards[0]!.score([]), []);
  });
});

describe('module rewards', () => {
  it('call the default or a named export, sync or async, with the batch', async () => {
    assert.deepEqual(await scores({ type: 'module', path: 'length-reward.ts' }), [22 / 32, 22 / 32, 2 / 32, 22 / 32, 0]);
    assert.deepEqual(await scores({ type: 'module', path: 'length-reward.ts', export: 'asyncScore' }), BATCH.map((c) => c.response.length));
  });

  it('stop with the file and a hint when the module is missing, broken or returns the wrong shape', async () => {
    await rejectsWith(build([{ type: 'module', path: 'nope.ts' }]), { code: 'RECIPE_INVALID', message: 'reward `module`: no module at nope.ts', hint: '`path` is relative to the recipe folder' });
    await rejectsWith(build([{ type: 'module', path: 'length-reward.ts', export: 'score' }]), {
      code: 'RECIPE_INVALID',
      message: 'reward `module`: length-reward.ts has no function export `score`',
      hint: 'its functions: asyncScore, default, notNumbers, throws, wrongCount; name one with `export`',
    });
    await rejectsWith(build([{ type: 'module', path: 'length-reward.ts', export: 'notAFunction' }]), {
      code: 'RECIPE_INVALID',
      message: 'reward `module`: length-reward.ts has no function export `notAFunction`',
    });
    const hint = 'the function gets the batch (an array of {item, prompt, response, truncated, tokens, maxTokens}) and returns one finite number per completion, in order';
    await rejectsWith(scores({ type: 'module', name: 'judge', path: 'length-reward.ts', export: 'wrongCount' }), {
      code: 'DATA_INVALID',
      message: 'reward `judge`: length-reward.ts returned 4 scores for a batch of 5',
      hint,
    });
    await rejectsWith(scores({ type: 'module', path: 'length-reward.ts', export: 'notNumbers' }), {
      code: 'DATA_INVALID',
      message: 'reward `module`: length-reward.ts returned "high" at index 0, not a finite number',
    });
    await rejectsWith(scores({ type: 'module', path: 'length-reward.ts', export: 'throws' }), { code: 'STAGE_FAILED', message: 'reward `module`: length-reward.ts threw: the judge is out' });
  });
});

describe('exec rewards', () => {
  const exec = (mode: string, extra: Partial<RewardSpec> = {}): RewardSpec => ({ type: 'exec', command: [NODE, SCRIPT, mode], ...extra });
  const shown = (mode: string) => `${NODE} ${SCRIPT} ${mode}`;
  const IO_HINT = 'the command reads one completion a line as JSON on stdin and must print one number a line on stdout, in the same order, then exit 0';

  it('send the batch as JSONL on stdin and read one number a line', async () => {
    assert.deepEqual(await scores(exec('length')), BATCH.map((c) => c.response.length / 10));
    assert.deepEqual(await scores(exec('answer')), [-0.5, -0.5, -0.5, -0.5, -0.5]);
    assert.deepEqual(await scores(exec('answer'), [completion(add, '132'), completion(add, ' 13 ')]), [1, -0.5]);
    assert.deepEqual(await scores(exec('env', { env: { REWARD_SCALE: '2.5' } }), BATCH.slice(0, 2)), [2.5, 2.5]);
    assert.deepEqual(await scores({ type: 'exec', command: `"${NODE}" score.mjs length` }, BATCH.slice(0, 1)), [BATCH[0]!.response.length / 10]); // a shell line, in the recipe folder
    assert.deepEqual(await scores(exec('crash'), []), []); // an empty batch starts nothing
  });

  it('stop on a crash, naming the command, with the stderr tail', async () => {
    await rejectsWith(scores(exec('crash', { name: 'judge' })), {
      code: 'SUBPROCESS_FAILED',
      message: `reward \`judge\`: \`${shown('crash')}\` exited with code 3\n  | reading completions\n  | TypeError: cannot score`,
      hint: IO_HINT,
    });
    await rejectsWith(scores({ type: 'exec', command: ['/nonexistent/scorer'] }), {
      code: 'SUBPROCESS_FAILED',
      message: 'reward `exec`: `/nonexistent/scorer` could not start: spawn /nonexistent/scorer ENOENT\n  | (nothing on stderr)',
      hint: `check that the program exists and can run from ${FIXTURES.replace(/\/$/, '')}`,
    });
  });

  it('kill a command past its time limit', async () => {
    const started = performance.now();
    await rejectsWith(scores(exec('hang', { timeoutSeconds: 0.3 })), {
      code: 'SUBPROCESS_FAILED',
      message: `reward \`exec\`: \`${shown('hang')}\` took longer than 0.3s on a batch of 5 and was killed\n  | (nothing on stderr)`,
      hint: 'raise `timeoutSeconds`, or make the command faster',
    });
    assert.ok(performance.now() - started < 5000);
  });

  it('kill what a shell command started, too, when it runs out of time', async () => {
    const dir = await tempDir('tempa-reward-');
    const pidFile = path.join(dir, 'sleeper.pid');
    const started = performance.now();
    await assert.rejects(scores({ type: 'exec', command: `sleep 30 & echo $! > '${pidFile}'; wait`, timeoutSeconds: 0.5 }), /took longer than 0.5s/);
    // Killing only the shell would leave the sleeper holding stdout open, and the wait would last 30 s.
    assert.ok(performance.now() - started < 5000, `${Math.round(performance.now() - started)} ms`);
    const pid = Number(await readFile(pidFile, 'utf8'));
    // Gone, or a zombie waiting for init to reap it: either way it no longer runs.
    const running = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    };
    for (let waited = 0; running() && waited < 3000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(running(), false, `sleep ${pid} outlived its reward command`);
    await rm(dir, { recursive: true, force: true });
  });

  it('stop on the wrong number of lines or a line that is not a number', async () => {
    await rejectsWith(scores(exec('short')), { code: 'SUBPROCESS_FAILED', message: `reward \`exec\`: \`${shown('short')}\` printed 1 line for a batch of 5\n  | (nothing on stderr)`, hint: IO_HINT });
    await rejectsWith(scores(exec('junk')), { code: 'SUBPROCESS_FAILED', message: `reward \`exec\`: \`${shown('junk')}\` line 2 is "NaN", not a number\n  | (nothing on stderr)` });
    assert.deepEqual(readScores('1\n-2.5\n+3e-1\r\n.5\n', 4), [1, -2.5, 0.3, 0.5]);
    assert.equal(readScores('1\n\n2\n', 3), 'line 2 is "", not a number');
    assert.equal(readScores('Infinity\n', 1), 'line 1 is "Infinity", not a number');
    assert.equal(readScores('', 2), 'printed 0 lines for a batch of 2');
  });

  it('stop at once when the stage is cancelled', async () => {
    const [reward] = await build([exec('hang', { timeoutSeconds: 30 })]);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(reward!.score(BATCH, controller.signal), { name: 'AbortError' });
    assert.ok(performance.now() - started < 5000);
  });
});

describe('the rewards list in a recipe', () => {
  // As a stage schema holds it: the list's default needs a parent object.
  const check = new Ajv({ allErrors: true, useDefaults: true, strict: true }).compile({ type: 'object', additionalProperties: false, properties: { rewards: rewardsSchema } });
  const validate = (rewards: unknown) => check({ rewards });

  it('defaults to `correct` alone, fills in weight 1 and refuses unknown types and keys', () => {
    const params: { rewards?: unknown } = {};
    assert.equal(check(params), true);
    assert.deepEqual(params.rewards, [{ type: 'correct', weight: 1 }]);
    const specs: unknown = [{ type: 'correct' }, { type: 'exec', command: ['python3', 'judge.py'], weight: 0.5 }];
    assert.equal(validate(specs), true);
    assert.deepEqual(specs, [{ type: 'correct', weight: 1 }, { type: 'exec', command: ['python3', 'judge.py'], weight: 0.5 }]);
    assert.equal(validate([{ type: 'length' }]), false);
    assert.equal(validate([{ type: 'correct', cahce: 3 }]), false);
    assert.equal(validate([]), false);
  });

  it('says which fields a type needs and takes, and wants unique names', () => {
    const problems = validateRewards(
      [{ type: 'overlong' }, { type: 'correct', cache: 4 }, { type: 'exec', command: 'x', path: 'a.ts' }, { type: 'correct' }, { type: 'overlong', name: 'len', cache: 64 }],
      { maxTokens: 64 },
    );
    assert.deepEqual(problems, [
      { path: ['rewards', 0], message: 'an `overlong` reward needs `cache`', hint: 'add `cache: 16` (tokens)' },
      { path: ['rewards', 1, 'cache'], message: '`cache` is only for `overlong` rewards, not `correct`', hint: 'remove it, or set `type: overlong`' },
      { path: ['rewards', 2, 'path'], message: '`path` is only for `module` rewards, not `exec`', hint: 'remove it, or set `type: module`' },
      { path: ['rewards', 3], message: 'rewards 2 and 4 are both named `correct`', hint: 'give one a `name`: each reward is logged as `rewards/<name>/mean`' },
      {
        path: ['rewards', 4, 'cache'],
        message: '`cache` 64 leaves no answer length without a penalty: answers have at most 64 tokens',
        hint: 'DAPO uses a fifth of the limit: `cache: 12`',
      },
    ]);
    assert.deepEqual(validateRewards([{ type: 'module', path: 'r.ts', export: 'score' }, { type: 'exec', command: ['x'], cwd: 'a', env: {}, timeoutSeconds: 1 }]), []);
  });

  it('buildRewards refuses the first problem as a recipe error', async () => {
    await rejectsWith(build([{ type: 'correct' }, { type: 'correct' }]), {
      code: 'RECIPE_INVALID',
      message: 'rewards 1 and 2 are both named `correct`',
      hint: 'give one a `name`: each reward is logged as `rewards/<name>/mean`',
    });
  });
});
