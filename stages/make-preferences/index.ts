// `uses: make-preferences` — the start of preference tuning: a model (the SFT model in recipes) samples K
// answers per prompt, answers are paired, and a declared judge decides each pair (the task verifier, human
// labels, or a reward model). Writes TRL explicit-prompt pairs plus every candidate pair for labelling.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import { readChatRows } from '../shared/chat/rows.ts';
import { renderPrompt, type ChatTurn } from '../shared/chat/template.ts';
import { taskOf } from '../shared/eval/task-accuracy.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { loadModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { assistant, pairId, type CandidatePair, type PreferencePair } from '../shared/preference/pairs.ts';
import { rewardScores } from '../shared/preference/reward-scores.ts';
import { chatSequence } from '../shared/preference/sequences.ts';
import { sampleRollouts, type Rollout } from '../shared/rollout/rollouts.ts';
import { verifyAnswer } from '../shared/tasks/registry.ts';
import type { TaskItem } from '../shared/tasks/types.ts';
import { distinctPairs, labelDecision, rewardDecision, verifierDecision, type Decision, type Sampled } from './judge.ts';
import { readLabels } from './labels.ts';
import { makePreferencesSchema, type MakePreferencesParams } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';

const FILES = { pairs: 'pairs.jsonl', candidates: 'candidates.jsonl', stats: 'stats.json' } as const;

interface Prompt {
  turns: ChatTurn[];
  item?: TaskItem;
}

export default defineStage({
  name: 'make-preferences',
  version: 1,
  description: 'Sample K answers per prompt, pair them and judge each pair (task verifier, human labels or a reward model).',
  headline: ['pairs', 'passRate'],
  schema: makePreferencesSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the model that answers (the SFT model)' },
    prompts: { kind: 'any', description: 'JSONL rows (chat, Alpaca or prompt/completion); rows with a built-in `task` can be verified' },
    labels: { kind: 'any', optional: true, description: 'JSONL human labels as `tempa label` appends them: {pairId, choice: a|b|tie|both-bad, labeller, ...} or {pairId, undo: true, labeller} (judge: labels)' },
    rewardModel: { kind: 'dir', optional: true, description: 'a reward-model folder (judge: reward-model)' },
  }),
  outputs: () => ({
    pairs: { kind: 'file', description: `${FILES.pairs}: {id, prompt, chosen, rejected, judge, reason, task?, reference?} per line` },
    candidates: { kind: 'file', description: `${FILES.candidates}: {id, prompt, answers: [a, b], task?, reference?}: every pair put to the judge` },
    stats: { kind: 'file', description: `${FILES.stats}: answers, pass rate, pairs kept, ties and both-bad by reason` },
  }),
  async run(ctx, p) {
    if (p.judge === 'labels' && !ctx.inputs.labels) throw missingInput('labels', 'bind `labels:` to a dataset of human labels (written by `tempa label`)');
    if (p.judge === 'reward-model' && !ctx.inputs.rewardModel) throw missingInput('rewardModel', 'bind `rewardModel:` to a reward-model stage output');
    const { tf, backend, model } = await openModel(ctx);
    const rewardModel = p.judge === 'reward-model' ? await loadModel(tf, ctx.inputs.rewardModel!.path) : undefined;
    try {
      const displayName = (f: string) => path.relative(ctx.recipeDir, f);
      const read = await readChatRows(ctx.inputs.prompts!.files, { onMalformed: p.onMalformed, signal: ctx.signal, displayName });
      const prompts: Prompt[] = read.rows.slice(0, p.prompts).map((row) => {
        const task = taskOf(row);
        return task ? { turns: task.prompt, item: task.item } : { turns: row.turns.slice(0, row.turns.findLastIndex((t) => t.role === 'assistant')) };
      });
      // A prompt must leave room for at least one answer token.
      const fits = prompts.filter((q) => renderPrompt(model.tokenizer, q.turns).length < model.config.blockSize);
      if (fits.length === 0) throw noPrompts(prompts.length, model.config.blockSize);
      ctx.log.info(`${fits.length} prompts (${prompts.length - fits.length} too long for the context), ${p.samples} answers each, judge: ${p.judge}`);

      const generated = sampleAnswers(model, fits, p, deriveSeed(ctx.seed, 'answers'));
      const answers: Sampled[][] = fits.map((q, i) =>
        generated[i]!.map(({ text, ended, answer }) => ({ text, ended, tokens: answer.length, correct: q.item ? verifyAnswer(q.item, text).correct : undefined })),
      );
      if (rewardModel) {
        const sequences = fits.flatMap((q, i) => answers[i]!.map((a) => chatSequence(rewardModel.tokenizer, q.turns, a.text, rewardModel.config.blockSize)));
        const scores = rewardScores(rewardModel, sequences);
        answers.flat().forEach((a, i) => (a.score = scores[i]));
      }
      const labels = ctx.inputs.labels ? await readLabels(ctx.inputs.labels.files, { onMalformed: p.onMalformed, displayName }) : undefined;

      const random = seededRandom(deriveSeed(ctx.seed, 'pairs'));
      const judge = (a: Sampled, b: Sampled, id: string): Decision | undefined =>
        p.judge === 'verifier' ? verifierDecision(a, b, p.styleRules) : p.judge === 'reward-model' ? rewardDecision(a, b, p.minMargin) : labelDecision(labels!.get(id) ?? []);
      const candidates: CandidatePair[] = [];
      const pairs: PreferencePair[] = [];
      const outcomes: Record<string, number> = {};
      const count = (outcome: string) => void (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
      let unlabelled = 0;
      fits.forEach((q, i) => {
        const judged = judgePrompt(q, answers[i]!, { judge, judgeName: p.judge, includeGreedy: p.includeGreedy, random });
        candidates.push(...judged.candidates);
        unlabelled += judged.unlabelled;
        judged.undecided.forEach(count);
        for (const pair of judged.decided.slice(0, p.pairsPerPrompt)) {
          pairs.push(pair);
          count(`kept: ${pair.reason}`);
        }
      });
      // Without labels yet, the candidates are the output that matters: they are what people label.
      if (pairs.length === 0 && p.judge !== 'labels') throw noPairs(candidates.length, outcomes, unlabelled);
      if (unlabelled > 0) ctx.log.warn(`${unlabelled} of ${candidates.length} candidate pairs have no label yet: label them (candidates.jsonl) and rerun`);

      const flat = answers.flat();
      const verified = flat.filter((a) => a.correct !== undefined);
      const passRate = verified.length ? verified.filter((a) => a.correct).length / verified.length : Number.NaN;
      const shorterChosen = pairs.filter((pair) => model.tokenizer.encode(pair.chosen[0]!.content).length < model.tokenizer.encode(pair.rejected[0]!.content).length).length;
      const stats = { prompts: fits.length, answers: flat.length, passRate, candidates: candidates.length, pairs: pairs.length, unlabelled, outcomes, shorterChosenShare: pairs.length ? shorterChosen / pairs.length : Number.NaN };
      ctx.log.info(`answers: ${flat.length}, verified correct ${(passRate * 100).toFixed(1)}%; ${pairs.length} pairs kept of ${candidates.length} candidates`);
      for (const [outcome, n] of Object.entries(outcomes).sort()) ctx.log.info(`  ${outcome}: ${n}`);
      const jsonl = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
      await writeFile(path.join(ctx.outDir, FILES.pairs), jsonl(pairs));
      await writeFile(path.join(ctx.outDir, FILES.candidates), jsonl(candidates));
      await writeFile(path.join(ctx.outDir, FILES.stats), `${JSON.stringify(stats, null, 2)}\n`);
      return {
        metrics: { prompts: fits.length, answers: flat.length, passRate, candidates: candidates.length, pairs: pairs.length, unlabelled, shorterChosenShare: stats.shorterChosenShare },
        artifacts: { pairs: FILES.pairs, candidates: FILES.candidates, stats: FILES.stats },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
      rewardModel?.dispose();
    }
  },
});

/** K answers per prompt: the greedy one first when asked, then samples at the declared temperature. */
function sampleAnswers(model: LanguageModel, prompts: readonly Prompt[], p: MakePreferencesParams, seed: number): Rollout[][] {
  const turns = prompts.map((q) => q.turns);
  const sampledPerPrompt = p.samples - (p.includeGreedy ? 1 : 0);
  const greedy = p.includeGreedy ? sampleRollouts(model, turns, 1, { ...p.sampling, temperature: 0 }, () => 0) : [];
  const sampled = sampleRollouts(model, turns, sampledPerPrompt, p.sampling, seededRandom(seed));
  return prompts.map((_, i) => [...greedy.slice(i, i + 1), ...sampled.slice(i * sampledPerPrompt, (i + 1) * sampledPerPrompt)]);
}

/**
 * Every candidate pair of one prompt's answers put to the judge: the decided pairs strongest first (those
 * rejecting the greedy answer ahead of others of their strength, then in a seeded order), and why the rest
 * were not decided.
 */
function judgePrompt(
  q: Prompt,
  sampled: readonly Sampled[],
  o: { judge: (a: Sampled, b: Sampled, id: string) => Decision | undefined; judgeName: PreferencePair['judge']; includeGreedy: boolean; random: () => number },
) {
  const candidates: CandidatePair[] = [];
  const undecided: string[] = [];
  const decided: { pair: PreferencePair; strength: number; order: number }[] = [];
  let unlabelled = 0;
  for (const [x, y] of distinctPairs(sampled)) {
    const [a, b] = [sampled[x]!, sampled[y]!];
    const candidate: CandidatePair = { id: pairId(q.turns, a.text, b.text), prompt: q.turns, answers: [a.text, b.text], ...taskFields(q.item) };
    candidates.push(candidate);
    const decision = o.judge(a, b, candidate.id);
    if (decision === undefined) unlabelled += 1;
    else if (!('winner' in decision)) undecided.push(`${decision.outcome}: ${decision.reason}`);
    else {
      const [chosen, rejected] = decision.winner === 0 ? [a, b] : [b, a];
      // A pair that rejects the greedy answer (answer 0) changes what the model says at temperature 0.
      const rejectsGreedy = o.includeGreedy && (decision.winner === 0 ? y : x) === 0;
      decided.push({
        pair: { id: candidate.id, prompt: q.turns, chosen: assistant(chosen.text), rejected: assistant(rejected.text), judge: o.judgeName, reason: decision.reason, ...taskFields(q.item) },
        strength: decision.strength + (rejectsGreedy ? 0.5 : 0),
        order: o.random(),
      });
    }
  }
  decided.sort((u, v) => v.strength - u.strength || u.order - v.order);
  return { candidates, undecided, unlabelled, decided: decided.map((d) => d.pair) };
}

const taskFields = (item: TaskItem | undefined) => (item ? { task: item.task, reference: item.answer } : {});

function missingInput(name: string, hint: string): PipelineError {
  return new PipelineError('RECIPE_INVALID', `make-preferences needs the \`${name}\` input for this judge`, { field: `inputs.${name}`, hint });
}

function noPrompts(total: number, blockSize: number): PipelineError {
  return new PipelineError('DATA_INVALID', `none of ${total} prompts fits a ${blockSize}-token context with room to answer`, { hint: 'use shorter prompts or a model with a larger blockSize' });
}

function noPairs(candidates: number, outcomes: Record<string, number>, unlabelled: number): PipelineError {
  const why = Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ');
  return new PipelineError('DATA_INVALID', `no pair was decided among ${candidates} candidates (${why || 'none'}${unlabelled ? `, unlabelled ${unlabelled}` : ''})`, {
    hint: 'sample more answers (samples), raise sampling.temperature, or label more pairs',
  });
}
