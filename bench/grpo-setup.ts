// What both sides of bench/grpo.ts run: the `micro` GPT of bench/preference-setup.ts with answers that end
// (its <|end|> row scaled), eight word problems as chat prompts, the grpo stage's parameters at TRL's
// defaults, and probe responses whose `correct` rewards the Python checker must reproduce.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { seededRandom } from '../engine/rng.ts';
import { grpoSchema, type GrpoParams } from '../stages/grpo/schema.ts';
import type { TF } from '../stages/shared/backend/tf.ts';
import { renderPrompt, tokenizerConfig } from '../stages/shared/chat/template.ts';
import type { ScorableItem } from '../stages/shared/eval/task-accuracy.ts';
import type { LanguageModel } from '../stages/shared/model/language-model.ts';
import { loadModel, saveModel } from '../stages/shared/model/model-io.ts';
import { TASKS, verifyAnswer } from '../stages/shared/tasks/registry.ts';
import { END_ID } from '../stages/shared/tokenizer/special-tokens.ts';
import { buildPolicy } from './preference-setup.ts';

/** The task every prompt is drawn from: prompts of 34-49 tokens, an integer answer the checker reads. */
export const TASK = 'arithmetic/word-problem';
/**
 * A random model puts 1/1024 on <|end|>, so nearly every answer would run to maxTokens. Scaling <|end|>'s
 * (tied) embedding row by 10 makes its logit swing with the context: on this setup about 60% of answers
 * end before 32 tokens, mean length about 19, like a warm-started model's mix of ended and cut-off answers.
 */
export const END_SCALE = 10;

/** TRL GRPOConfig's defaults where the grpo stage has them too: 8 prompts x 8 answers, 32 tokens at temperature 1, dapo, beta 0. */
export function grpoParams(): GrpoParams {
  const value: Record<string, unknown> = { batchSize: 8, generations: 8 };
  const ajv = new Ajv({ useDefaults: true, strict: false });
  if (!ajv.validate(grpoSchema, value)) throw new Error(`grpo parameters: ${ajv.errorsText()}`);
  return value as GrpoParams;
}

export interface GrpoBench {
  policy: LanguageModel;
  policyDir: string;
  /** The GRPO prompts, of varied token lengths. */
  items: ScorableItem[];
  /** As many prompts of one token length: a KV-cache batch with no padding, where the varied ones are left-padded. */
  equalItems: ScorableItem[];
}

/** Saves the policy (END_SCALE applied) under `dir/policy` and loads it back, so both sides read the same file. */
export async function buildGrpoSetup(tf: TF, dir: string, prompts: number): Promise<GrpoBench> {
  const { tokenizerDir, policy: fresh } = await buildPolicy(tf, dir);
  const wte = fresh.parameters()['wte.weight']!;
  const scaled = tf.tidy(() => {
    const rows = tf.tensor1d(Array.from({ length: wte.shape[0]! }, (_, i) => (i === END_ID ? END_SCALE : 1)));
    return tf.mul(wte, tf.reshape(rows, [-1, 1]));
  });
  wte.assign(scaled);
  scaled.dispose();
  const policyDir = path.join(dir, 'policy');
  await saveModel(fresh, policyDir, { step: 0 }, tokenizerDir);
  // As `sft` writes it: the chat template TRL renders the prompts with.
  await writeFile(path.join(policyDir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig(), null, 2)}\n`);
  fresh.dispose();
  const policy = await loadModel(tf, policyDir);
  const draw = (random: () => number): ScorableItem => {
    const item = TASKS[TASK]!.generate(random, 'medium');
    return { item, prompt: [{ role: 'user', content: item.instruction }] };
  };
  const random = seededRandom(5);
  const items = Array.from({ length: prompts }, () => draw(random));
  const byLength = new Map<number, ScorableItem[]>();
  let equalItems: ScorableItem[] = [];
  while (equalItems.length < prompts) {
    const it = draw(random);
    const n = renderPrompt(policy.tokenizer, it.prompt).length;
    byLength.set(n, [...(byLength.get(n) ?? []), it]);
    equalItems = byLength.get(n)!;
  }
  return { policy, policyDir, items, equalItems };
}

/** Each prompt's text, reference answer and ids as tempa renders it (the Python side checks TRL's template against them). */
export const promptRecords = (policy: LanguageModel, items: readonly ScorableItem[]) =>
  items.map(({ item, prompt }) => ({ content: item.instruction, answer: item.answer, ids: Array.from(renderPrompt(policy.tokenizer, prompt)) }));

/** Responses in every form the answer convention reads (and some it rejects), plus sampled ones, with tempa's verdict. */
export function rewardProbes(items: readonly ScorableItem[], sampled: readonly { prompt: number; text: string }[]) {
  const { item } = items[0]!;
  const a = item.answer;
  const forms = [a, `Answer: ${a}`, `Answer: ${a}.`, `\`${a}\``, ` ${a} `, `x\nanswer :${a}`, `Answer: ${a}\nAnswer: ${a}`, `The answer is ${a}`, `0${a}`, `-${a}`, `${a} ${TASK}`, `\`\`\`\n${a}\n\`\`\``, `"${a}"`, `Answer: ${Number(a) + 1}`];
  return [...forms.map((response) => ({ item, response })), ...sampled.map((s) => ({ item: items[s.prompt]!.item, response: s.text }))].map(({ item: it, response }) => ({
    answer: it.answer,
    response,
    reward: verifyAnswer(it, response).correct ? 1 : 0,
  }));
}
