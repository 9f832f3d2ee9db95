// The chat template's contract: the exact rendered text, the assistant mask, every accepted row format
// and every malformed-row message; and the proof that SFT's loss masking makes prompt targets irrelevant.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CHAT_TEMPLATE, parseRow, renderConversation, renderPrompt, type ChatTurn } from '../../../stages/shared/chat/template.ts';
import { gptLossAndGrads, initGPT } from '../../../stages/shared/model/gpt.ts';
import { resolveModelConfig } from '../../../stages/shared/model/config.ts';
import { initTf, type TF } from '../../../stages/shared/backend/tf.ts';
import { Tokenizer } from '../../../stages/shared/tokenizer/bpe.ts';
import { trainBpe } from '../../../stages/shared/tokenizer/bpe-train.ts';
import { WordCounts } from '../../../stages/shared/tokenizer/word-counts.ts';
import { ASSISTANT_ID, BOS_ID, END_ID } from '../../../stages/shared/tokenizer/special-tokens.ts';
import { toExample } from '../../../stages/sft/sft-data.ts';
import { maxAbsDiff } from './model/tiny.ts';

const words = new WordCounts();
words.add('What is two plus three? The answer is five. Reverse the word whale: elahw. You are a helpful assistant.');
const tokenizer = new Tokenizer(trainBpe(words.counts, { vocabSize: 300 }).model);

const CHAT: ChatTurn[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is two plus three?' },
  { role: 'assistant', content: 'five' },
  { role: 'user', content: 'Reverse <|end|> whale' },
  { role: 'assistant', content: 'elahw' },
];

describe('renderConversation', () => {
  it('renders <|bos|> then <|role|>content<|end|> per message, the text the Jinja template writes', () => {
    const { ids } = renderConversation(tokenizer, CHAT);
    const expected =
      '<|bos|><|system|>You are a helpful assistant.<|end|><|user|>What is two plus three?<|end|>' +
      '<|assistant|>five<|end|><|user|>Reverse <|end|> whale<|end|><|assistant|>elahw<|end|>';
    assert.equal(tokenizer.decode(ids), expected);
    assert.ok(CHAT_TEMPLATE.includes("{{ '<|' + message['role'] + '|>' }}"));
    assert.equal(CHAT_TEMPLATE.split("message['content'] + '<|end|>'").length, 3, 'content then <|end|>, in and out of the generation block');
  });

  it('reads special-token text in content as plain bytes', () => {
    const { ids } = renderConversation(tokenizer, CHAT);
    assert.equal(ids.filter((id) => id === END_ID).length, CHAT.length);
    assert.equal(ids.filter((id) => id === BOS_ID).length, 1);
  });

  it('masks exactly the assistant content tokens and their closing <|end|>', () => {
    const { ids, assistantMask } = renderConversation(tokenizer, CHAT);
    const masked = tokenizer.decode(ids.filter((_, i) => assistantMask[i] === 1));
    assert.equal(masked, 'five<|end|>elahw<|end|>');
    const firstAnswer = Array.from(ids).indexOf(ASSISTANT_ID);
    assert.equal(assistantMask[firstAnswer], 0, 'the <|assistant|> marker is given, not learnt');
    assert.equal(assistantMask[firstAnswer + 1], 1);
  });

  it('ends a generation prompt with <|assistant|>', () => {
    const prompt = renderPrompt(tokenizer, CHAT.slice(0, 2));
    assert.equal(tokenizer.decode(prompt), '<|bos|><|system|>You are a helpful assistant.<|end|><|user|>What is two plus three?<|end|><|assistant|>');
  });
});

describe('parseRow', () => {
  it('reads chat messages, multi-turn', () => {
    assert.deepEqual(parseRow({ messages: CHAT, task: 'x' }, 'a.jsonl', 1), CHAT);
  });

  it('reads Alpaca rows, with and without input', () => {
    assert.deepEqual(parseRow({ instruction: 'Add', input: '2 3', output: '5' }, 'a.jsonl', 1), [
      { role: 'user', content: 'Add\n\n2 3' },
      { role: 'assistant', content: '5' },
    ]);
    assert.deepEqual(parseRow({ instruction: 'Add 2 and 3', input: '', output: '5' }, 'a.jsonl', 1), [
      { role: 'user', content: 'Add 2 and 3' },
      { role: 'assistant', content: '5' },
    ]);
  });

  it('reads prompt/completion rows', () => {
    assert.deepEqual(parseRow({ prompt: 'Hi', completion: 'Hello' }, 'a.jsonl', 1), [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
    ]);
  });

  const cases: [unknown, string][] = [
    [[1], 'expected a JSON object'],
    [{ messages: [] }, 'messages must be a non-empty array'],
    [{ messages: 'hi' }, 'messages must be a non-empty array'],
    [{ messages: [{ role: 'user', content: 'a' }, 'b'] }, 'messages[1] must be an object with role and content'],
    [{ messages: [{ role: 'bot', content: 'a' }] }, 'messages[0].role must be one of system, user, assistant (got "bot")'],
    [{ messages: [{ role: 'user', content: 3 }] }, 'messages[0].content must be a string'],
    [{ messages: [{ role: 'user', content: 'a' }] }, 'messages has no assistant message to learn from'],
    [{ instruction: 1, output: 'x' }, 'instruction must be a string'],
    [{ instruction: 'a', input: 2, output: 'x' }, 'input must be a string'],
    [{ instruction: 'a' }, 'output must be a string'],
    [{ prompt: 'a' }, 'completion must be a string'],
    [{ completion: 'a' }, 'prompt must be a string'],
    [{ text: 'a' }, 'expected chat `messages`, Alpaca `instruction`/`output`, or `prompt`/`completion` fields'],
  ];
  for (const [row, message] of cases) {
    it(`rejects ${JSON.stringify(row)}: ${message}`, () => {
      assert.throws(() => parseRow(row, 'data/train.jsonl', 7), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'DATA_INVALID');
        assert.equal(error.message, `data/train.jsonl:7: ${message}`);
        return true;
      });
    });
  }
});

describe('SFT loss masking', () => {
  it('lossOn all learns every token after <|bos|>, user turns included', () => {
    const assistantOnly = toExample(tokenizer, CHAT.slice(1, 3), 64, 'truncate').example!;
    const all = toExample(tokenizer, CHAT.slice(1, 3), 64, 'truncate', 'all').example!;
    const { ids } = renderConversation(tokenizer, CHAT.slice(1, 3));
    assert.deepEqual(all.x, assistantOnly.x);
    assert.deepEqual(all.y, ids.slice(1));
    assert.ok(assistantOnly.y.some((y) => y < 0));
  });

  let tf: TF;
  before(async () => {
    ({ tf } = await initTf('cpu'));
  });

  it("a prompt token's target changes neither the loss nor any gradient", () => {
    const config = resolveModelConfig({ nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 32 }, tokenizer.vocabSize);
    const params = initGPT(tf, config, 3);
    const { example } = toExample(tokenizer, CHAT.slice(1, 3), config.blockSize, 'truncate');
    assert.ok(example);
    const T = example.x.length;
    const { ids } = renderConversation(tokenizer, CHAT.slice(1, 3));
    const promptPositions = [...example.y.keys()].filter((t) => example.y[t]! < 0);
    assert.ok(promptPositions.length > 5 && promptPositions.length < T);
    // The same batch, but every prompt target is the real next token, a random id, or another negative.
    const nextTokens = Int32Array.from(example.y, (y, t) => (y < 0 ? ids[t + 1]! : y));
    const randomIds = Int32Array.from(example.y, (y, t) => (y < 0 ? (t * 37) % config.vocabSize : y));
    const otherNegative = Int32Array.from(example.y, (y) => (y < 0 ? -5 : y));
    const learnt = Float32Array.from(example.y, (y) => (y >= 0 ? 1 : 0));
    const run = (targets: Int32Array, mask?: Float32Array) =>
      tf.tidy(() => {
        const idx = tf.tensor2d(example.x, [1, T], 'int32');
        const y = tf.tensor2d(targets, [1, T], 'int32');
        const m = mask ? tf.tensor2d(mask, [1, T], 'float32') : undefined;
        const { loss, grads } = gptLossAndGrads(tf, params, config, idx, y, m);
        return { loss: loss.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
      });
    const before = tf.memory().numTensors;
    const reference = run(example.y);
    for (const other of [run(otherNegative), run(nextTokens, learnt), run(randomIds, learnt)]) {
      assert.equal(other.loss, reference.loss);
      for (const [name, g] of Object.entries(reference.grads)) assert.equal(maxAbsDiff(other.grads[name]!, g), 0, name);
    }
    // The proof has teeth: the same targets without the mask give another loss.
    assert.notEqual(run(nextTokens).loss, reference.loss);
    assert.equal(tf.memory().numTensors, before);
    for (const p of Object.values(params)) p.dispose();
  });
});
