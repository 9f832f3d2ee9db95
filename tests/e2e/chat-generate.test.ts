// `tempa chat` driven through piped stdin and `tempa generate`, on a tiny tuned model: answers per
// message, /reset, EOF, greedy answers equal between the two commands, seeded sampling repeats, and
// exact errors for a stage without a model and an unknown stage.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { makeProject, runPipeline, tempa } from '../helpers/project.ts';
import { tinyModelRecipe } from '../helpers/tiny-model-recipe.ts';

const RECIPE = `${tinyModelRecipe({ seed: 4, backend: 'wasm' })}  instructions: { uses: make-instructions, with: { tasks: [lists/max], difficulty: easy, trainPerTask: 40, heldOutPerTask: 4 } }
  sft:
    uses: sft
    inputs: { model: init.model, train: instructions.train, heldOut: instructions.heldOut }
    with: { steps: 10, batchSize: 8, lr: 0.01, evalEvery: 10, evalBatches: 1, evalExamples: 4, evalSampling: { maxTokens: 4 } }
`;

let dir: string;
before(async () => {
  dir = await makeProject({ 'recipe.yaml': RECIPE });
  const run = await runPipeline(path.join(dir, 'recipe.yaml'));
  assert.ok(run.ok, JSON.stringify(run.outcomes.map((o) => o.error?.message)));
});

const GREEDY = ['--stage', 'sft', '--temperature', '0', '--max-tokens', '6'];

describe('tempa generate', () => {
  it('answers in the chat template or continues raw text, as JSON, the same for the same seed', async () => {
    const args = ['generate', 'recipe.yaml', '--stage', 'sft', '--prompt', 'Hello there', '--prompt', 'Call me', '--raw', '--json', '--seed', '9', '--max-tokens', '5'];
    const [a, b] = [await tempa(args, dir), await tempa(args, dir)];
    assert.equal(a.code, 0, a.stderr);
    const parsed = JSON.parse(a.stdout) as { prompt: string; response: string }[];
    assert.deepEqual(parsed.map((r) => r.prompt), ['Hello there', 'Call me']);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stderr, /sft: cached/);
  });
});

describe('tempa chat', () => {
  it('answers each piped line, keeps history, forgets it on /reset, and exits 0 at EOF', async () => {
    const one = await tempa(['generate', 'recipe.yaml', ...GREEDY, '--prompt', 'hello', '--json'], dir);
    const { response } = (JSON.parse(one.stdout) as { response: string }[])[0]!;
    const chat = await tempa(['chat', 'recipe.yaml', ...GREEDY], dir, 'hello\nand again\n/reset\nhello\n');
    assert.equal(chat.code, 0, chat.stderr);
    // The first answer and the one after /reset see the same prompt, so greedy decoding repeats it.
    assert.ok(chat.stdout.startsWith(`${response}\n`), JSON.stringify({ stdout: chat.stdout, response }));
    assert.ok(chat.stdout.endsWith(`\n${response}\n`), JSON.stringify({ stdout: chat.stdout, response }));
    assert.match(chat.stderr, /\(history cleared\)/);
    assert.doesNotMatch(chat.stdout, /> /, 'no prompt decoration on piped stdin');
  });

  it('stops at /exit', async () => {
    const chat = await tempa(['chat', 'recipe.yaml', ...GREEDY], dir, '/exit\nhello\n');
    assert.equal(chat.code, 0, chat.stderr);
    assert.equal(chat.stdout, '');
  });

  it('names the stages that have a model when the stage has none, and suggests a close name', async () => {
    const noModel = await tempa(['chat', 'recipe.yaml', '--stage', 'tokenizer'], dir, '');
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /error USAGE: stage `tokenizer` has no model output\n {2}hint: stages with a model: init, sft/);
    const unknown = await tempa(['chat', 'recipe.yaml', '--stage', 'sfd'], dir, '');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown stage `sfd`\n {2}hint: did you mean `sft`\?/);
  });

  it('talks to the last stage with a model by default, one output line per message, replaying after /reset at any temperature', async () => {
    const chat = await tempa(['chat', 'recipe.yaml', '--temperature', '1.5', '--max-tokens', '12'], dir, 'hi\nsay more\n/reset\nhi\n');
    assert.equal(chat.code, 0, chat.stderr);
    assert.match(chat.stderr, /^sft model, backend wasm$/m);
    const lines = chat.stdout.split('\n');
    assert.equal(lines.length, 4, JSON.stringify(chat.stdout));
    assert.equal(lines[2], lines[0]);
  });
});
