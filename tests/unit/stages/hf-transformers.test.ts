// A tempa model folder is a Hugging Face folder: config.json, generation_config.json and tokenizer_config.json
// hold the keys transformers needs, and a folder transformers wrote loads in tempa. With TEMPA_PYTHON (a
// Python with torch and transformers), transformers itself loads the folder and must give tempa's logits
// (<= 1e-4), greedy chat answers stopping at <|end|>, and apply_chat_template ids and assistant masks,
// on a tiny model taught two conversations and, where the quickstart has run here, on its models.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveRecipe } from '../../../engine/recipe/resolve.ts';
import { runRecipe } from '../../../engine/run.ts';
import { initTf, type TF } from '../../../stages/shared/backend/tf.ts';
import { TEMPA } from '../../../stages/builtin.ts';
import { CHAT_TEMPLATE, renderConversation, type ChatTurn } from '../../../stages/shared/chat/template.ts';
import { ROTARY_MODEL_TYPE } from '../../../stages/shared/model/hf-config.ts';
import type { LanguageModel } from '../../../stages/shared/model/language-model.ts';
import { loadModel, saveModel } from '../../../stages/shared/model/model-io.ts';
import { readSafetensors, writeSafetensors } from '../../../stages/shared/model/safetensors.ts';
import { END_ID, EOS_ID } from '../../../stages/shared/tokenizer/special-tokens.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { REPO_ROOT } from '../../helpers/project.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../helpers/tiny-model.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/hf-transformers.py', import.meta.url));
const PYTHON = process.env.TEMPA_PYTHON;
const probe = PYTHON ? spawnSync(PYTHON, ['-c', 'import torch, transformers; print(transformers.__version__)'], { encoding: 'utf8' }) : undefined;
const skip = !PYTHON
  ? 'TEMPA_PYTHON is unset: set it to a Python with torch and transformers to load tempa folders in transformers'
  : probe?.status !== 0
    ? `TEMPA_PYTHON=${PYTHON} cannot import torch and transformers: ${probe?.stderr.trim().split('\n').pop()}`
    : false;

const SPEC = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 48 };
const TRAINED: ChatTurn[][] = [
  [{ role: 'user', content: 'the cat' }, { role: 'assistant', content: 'sat on the mat.' }],
  [{ role: 'user', content: 'the dog' }, { role: 'assistant', content: 'sat on the log.' }],
];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/** A tiny model taught two short conversations, so its greedy answers end at <|end|> well before the limit. */
function taughtModel(tf: TF, model: LanguageModel): void {
  const optimizer = tf.train.adam(0.02);
  const rows = TRAINED.map((c) => renderConversation(model.tokenizer, c));
  const length = Math.max(...rows.map((r) => r.ids.length));
  const ids = rows.flatMap((r) => Array.from({ length }, (_, t) => r.ids[t] ?? 0));
  // Target of position t is token t+1 where the mask says the model says it; -1 is ignored.
  const targets = rows.flatMap((r) => Array.from({ length }, (_, t) => (t + 1 < r.ids.length && r.assistantMask[t + 1] ? r.ids[t + 1]! : -1)));
  const idsT = tf.tensor2d(ids, [rows.length, length], 'int32');
  const targetsT = tf.tensor2d(targets, [rows.length, length], 'int32');
  for (let step = 0; step < 150; step++) tf.dispose(optimizer.minimize(() => model.nextTokenLoss(idsT, targetsT) as never, true, Object.values(model.parameters())) ?? []);
  tf.dispose([idsT, targetsT]);
  optimizer.dispose();
}

describe('Hugging Face model folders', () => {
  it('config.json carries the GPT-2 keys beside tempa’s, with generation and tokenizer configs', async () => {
    const { tf } = await initTf('cpu');
    const dir = await tempDir('hf-');
    const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
    const model = tinyLanguageModel(tf, tokenizer, 5, SPEC);
    await saveModel(model, path.join(dir, 'm'), { step: 1 }, tokenizerDir);
    model.dispose();
    const config = await readJson(path.join(dir, 'm', 'config.json'));
    assert.deepEqual(
      { ...config, tempa: undefined },
      {
        model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 280, n_positions: 48, n_embd: 16, n_layer: 2, n_head: 2, n_inner: null,
        activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, tie_word_embeddings: true, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
        scale_attn_weights: true, scale_attn_by_inverse_layer_idx: false, reorder_and_upcast_attn: false, initializer_range: 0.02, dtype: 'float32',
        bos_token_id: 0, eos_token_id: 1, pad_token_id: 2,
        vocabSize: 280, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 16, tieWeights: true, positions: 'learned', tempa: undefined,
      },
    );
    assert.deepEqual(await readJson(path.join(dir, 'm', 'generation_config.json')), { bos_token_id: 0, eos_token_id: [END_ID, EOS_ID], pad_token_id: 2, max_length: 48 });
    const tokenizerConfig = await readJson(path.join(dir, 'm', 'tokenizer_config.json'));
    assert.equal(tokenizerConfig.model_max_length, 48);
    assert.deepEqual([tokenizerConfig.bos_token, tokenizerConfig.eos_token, tokenizerConfig.pad_token], ['<|bos|>', '<|eos|>', '<|pad|>']);
    assert.equal(tokenizerConfig.chat_template, CHAT_TEMPLATE);
    assert.match(CHAT_TEMPLATE, /\{% generation %\}\{\{ message\['content'\] \+ '<\|end\|>' \}\}\{% endgeneration %\}/);
  });

  it('a rotary model says by its model_type that transformers cannot load it, and still loads in tempa', async () => {
    const { tf } = await initTf('cpu');
    const dir = await tempDir('hf-');
    const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
    const model = tinyLanguageModel(tf, tokenizer, 5, { ...SPEC, positions: 'rotary' });
    await saveModel(model, dir, { step: 1 }, tokenizerDir);
    const config = await readJson(path.join(dir, 'config.json'));
    assert.equal(config.model_type, ROTARY_MODEL_TYPE);
    assert.equal(config.architectures, undefined);
    const loaded = await loadModel(tf, dir);
    assert.equal(loaded.config.positions, 'rotary');
    loaded.dispose();
    model.dispose();
  });

  it('reads a GPT-2 folder laid out as transformers saves it, and refuses what it cannot compute', async () => {
    const { tf } = await initTf('cpu');
    const dir = await tempDir('hf-');
    const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
    const model = tinyLanguageModel(tf, tokenizer, 5, SPEC);
    await saveModel(model, dir, { step: 1 }, tokenizerDir);
    // As transformers writes it: only the snake_case keys, `transformer.` names, the tied head saved too.
    const config = await readJson(path.join(dir, 'config.json'));
    const hfOnly = Object.fromEntries(Object.entries(config).filter(([key]) => !/[A-Z]/.test(key) && key !== 'tempa' && key !== 'positions'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(hfOnly));
    const { tensors } = await readSafetensors(path.join(dir, 'model.safetensors'));
    const renamed = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [`transformer.${name}`, t]));
    await writeSafetensors(path.join(dir, 'model.safetensors'), { ...renamed, 'lm_head.weight': tensors['wte.weight']! });
    const loaded = await loadModel(tf, dir);
    assert.deepEqual(loaded.config, model.config);
    const ids = tf.tensor2d([[0, 4, 100, 200, 6, 5]], [1, 6], 'int32');
    assert.deepEqual(loaded.forward(ids).dataSync(), model.forward(ids).dataSync());
    loaded.dispose();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...hfOnly, activation_function: 'relu' }));
    await assert.rejects(loadModel(tf, dir), /config\.json: activation_function "relu": tempa computes gelu_new/);
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...hfOnly, model_type: 'llama' }));
    await assert.rejects(loadModel(tf, dir), /model_type "llama" is not one tempa can load/);
    tf.dispose(ids);
    model.dispose();
  });

  describe(`in transformers (${probe?.stdout.trim() || 'not run'})`, { skip }, () => {
    const python = (args: string[], request: unknown) => {
      const run = spawnSync(PYTHON!, [SCRIPT, ...args], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(run.status, 0, run.stderr);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    const maxAbsDiff = (theirs: number[][], ours: Float32Array) => Math.max(...theirs.flat().map((v, i) => Math.abs(v - ours[i]!)));

    it('AutoModelForCausalLM and AutoTokenizer give tempa’s logits, greedy answers and chat-template ids', async (t) => {
      const { tf } = await initTf('cpu');
      const dir = await tempDir('hf-');
      const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
      const model = tinyLanguageModel(tf, tokenizer, 5, SPEC);
      taughtModel(tf, model);
      const folder = path.join(dir, 'm');
      await saveModel(model, folder, { step: 150 }, tokenizerDir);
      const rows = [Array.from(renderConversation(tokenizer, TRAINED[0]!).ids), [0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 279]];
      const prompts = [...TRAINED.map((c) => c.slice(0, 1)), [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'a whale' }]] as ChatTurn[][];
      const plain: ChatTurn[] = [{ role: 'system', content: 's' }, { role: 'user', content: 'the cat' }, { role: 'assistant', content: 'sat.' }, { role: 'user', content: 'and?' }, { role: 'assistant', content: 'on the mat' }];
      const spelled: ChatTurn[] = [{ role: 'user', content: 'say <|end|> now' }, { role: 'assistant', content: 'ok' }];
      const maxTokens = 30;
      const theirs = python(['check', folder], { rows, prompts, conversations: [plain, spelled], maxTokens }) as {
        model: string; modelMaxLength: number; specials: Record<string, string>;
        logits: number[][][]; answers: { prompt: number[]; ids: number[]; text: string }[]; templates: { ids: number[]; mask: number[] }[];
      };
      assert.equal(theirs.model, 'GPT2LMHeadModel');
      assert.equal(theirs.modelMaxLength, SPEC.blockSize);
      assert.deepEqual(theirs.specials, { bos: '<|bos|>', eos: '<|eos|>', pad: '<|pad|>' });
      rows.forEach((row, i) => {
        const ids = tf.tensor2d([row], [1, row.length], 'int32');
        const diff = maxAbsDiff(theirs.logits[i]!, model.forward(ids).dataSync() as Float32Array);
        assert.ok(diff <= 1e-4, `row ${i}: logits differ by ${diff}`);
        t.diagnostic(`row ${i}: max |logit difference| ${diff.toExponential(2)}`);
        tf.dispose(ids);
      });
      const ours = model.generate(prompts.map((p) => Array.from(renderConversation(tokenizer, p).ids).concat(5)), { maxTokens, temperature: 0, topK: 0, topP: 1, stopTokens: [END_ID, EOS_ID] }, () => 0);
      const texts = model.answer(prompts, { maxTokens, temperature: 0, topK: 0, topP: 1 }, 0);
      theirs.answers.forEach((answer, i) => {
        assert.deepEqual(answer.ids, ours.tokens[i], `greedy ids of prompt ${i}`);
        assert.equal(answer.text, texts[i]);
      });
      // The taught prompts are answered as taught, and transformers stops at <|end|> as tempa does.
      assert.deepEqual(texts.slice(0, 2), ['sat on the mat.', 'sat on the log.']);
      assert.deepEqual(theirs.answers.slice(0, 2).map((a) => a.ids.at(-1)), [END_ID, END_ID]);
      const rendered = renderConversation(tokenizer, plain);
      assert.deepEqual(theirs.templates[0]!.ids, Array.from(rendered.ids));
      assert.deepEqual(theirs.templates[0]!.mask, Array.from(rendered.assistantMask));
      // The documented difference: special-token text in content is the special token in transformers,
      // plain bytes in tempa (so a message cannot forge a turn end there).
      const spelledOurs = Array.from(renderConversation(tokenizer, spelled).ids);
      assert.equal(spelledOurs.filter((id) => id === END_ID).length, 2);
      assert.equal(theirs.templates[1]!.ids.filter((id) => id === END_ID).length, 3);
      model.dispose();
    });

    it('the quickstart’s pre-trained and tuned models, where the quickstart has run in this checkout', async (t) => {
      const recipe = await resolveRecipe(path.join(REPO_ROOT, 'recipes', 'quickstart.yaml'), TEMPA);
      const { outcomes } = await runRecipe(recipe, { dryRun: true });
      const folders = ['pretrain', 'sft'].map((name) => outcomes.find((o) => o.name === name && o.status === 'cached')?.outDir);
      if (folders.some((f) => f === undefined)) return t.skip('the quickstart has not run here (npm start), so its models are not in recipes/.tempa');
      const { tf } = await initTf('cpu');
      for (const [i, outDir] of folders.entries()) {
        const model = await loadModel(tf, path.join(outDir!, 'model'));
        const prompts: ChatTurn[][] = ['What is the first letter of the word "whale"?', 'What is the largest number in the following list?\n\n[3, 9, 4]'].map((q) => [{ role: 'user', content: q }]);
        const rows = prompts.map((p) => Array.from(renderConversation(model.tokenizer, p).ids));
        const theirs = python(['check', path.join(outDir!, 'model')], { rows, prompts, conversations: [], maxTokens: 12 }) as { logits: number[][][]; answers: { ids: number[] }[] };
        const diff = Math.max(...rows.map((row, r) => tf.tidy(() => maxAbsDiff(theirs.logits[r]!, model.forward(tf.tensor2d([row], [1, row.length], 'int32')).dataSync() as Float32Array))));
        assert.ok(diff <= 1e-4, `${['pretrain', 'sft'][i]}: logits differ by ${diff}`);
        t.diagnostic(`${['pretrain', 'sft'][i]}: max |logit difference| ${diff.toExponential(2)}`);
        const ours = model.generate(rows.map((r) => [...r, 5]), { maxTokens: 12, temperature: 0, topK: 0, topP: 1, stopTokens: [END_ID, EOS_ID] }, () => 0);
        assert.deepEqual(theirs.answers.map((a) => a.ids), ours.tokens);
        // The tuned model answers and stops at <|end|> in transformers as in tempa.
        if (i === 1) assert.deepEqual(theirs.answers.map((a) => a.ids.at(-1)), [END_ID, END_ID]);
        model.dispose();
      }
    });

    it('tempa loads a GPT-2 folder transformers wrote, with transformers’ logits (round trip)', async (t) => {
      const { tf } = await initTf('cpu');
      const dir = await tempDir('hf-');
      const { dir: tokenizerDir } = await tinyTokenizer(dir);
      const rows = [[0, 4, 100, 200, 6, 5, 10, 11], [279, 3]];
      const theirs = python(['write-gpt2', path.join(dir, 'gpt2'), tokenizerDir], { rows, blockSize: 32 }) as { logits: number[][][] };
      const loaded = await loadModel(tf, path.join(dir, 'gpt2'));
      assert.deepEqual({ ...loaded.config }, { vocabSize: 280, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16, tieWeights: true, positions: 'learned' });
      rows.forEach((row, i) => {
        const ids = tf.tensor2d([row], [1, row.length], 'int32');
        const diff = maxAbsDiff(theirs.logits[i]!, loaded.forward(ids).dataSync() as Float32Array);
        assert.ok(diff <= 1e-4, `row ${i}: logits differ by ${diff}`);
        t.diagnostic(`row ${i}: max |logit difference| ${diff.toExponential(2)}`);
        tf.dispose(ids);
      });
      loaded.dispose();
    });
  });
});
