// `tempa generate`: one-shot answers from a stage's model, in the chat template, or `--raw` as a plain
// continuation (what a pre-trained model does).
import type { CommandContext } from '../../engine/command.ts';
import type { SamplingFlags } from './sampling-options.ts';
import { openStageModel } from './stage-model.ts';

export async function generateCommand(ctx: CommandContext, flags: SamplingFlags & { prompt: string[]; raw?: boolean; json?: boolean }): Promise<number> {
  const { model } = await openStageModel(ctx, flags.stage);
  try {
    const sampling = { maxTokens: flags.maxTokens, temperature: flags.temperature, topK: flags.topK, topP: flags.topP };
    const seed = flags.seed ?? ctx.recipe.seed;
    const responses = flags.raw
      ? model.sampleTexts(flags.prompt, { ...sampling, stopTokens: [] }, seed).map((s) => s.completion)
      : model.answer(flags.prompt.map((content) => [{ role: 'user' as const, content }]), sampling, seed);
    const results = flags.prompt.map((prompt, i) => ({ prompt, response: responses[i]! }));
    if (flags.json) ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else if (results.length === 1) ctx.stdout.write(`${flags.raw ? results[0]!.prompt : ''}${results[0]!.response}\n`);
    else for (const r of results) ctx.stdout.write(`> ${r.prompt}\n${flags.raw ? r.prompt : ''}${r.response}\n\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
