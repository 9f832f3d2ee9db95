// `tempa chat`: a conversation with a stage's model in the chat template, answers streamed token by
// token. Reads lines from stdin, so it works typed at a terminal and piped from a file alike.
import readline from 'node:readline';
import type { CommandContext } from '../../engine/command.ts';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { generate } from '../shared/generate/sample.ts';
import { TextStream } from '../shared/generate/text-stream.ts';
import { END_ID, EOS_ID } from '../shared/tokenizer/special-tokens.ts';
import { ChatHistory } from './chat-history.ts';
import type { SamplingFlags } from './sampling-options.ts';
import { openStageModel } from './stage-model.ts';

export async function chat(ctx: CommandContext, flags: SamplingFlags & { system?: string }): Promise<number> {
  const { model } = await openStageModel(ctx, flags.stage);
  const { tokenizer, config } = model;
  const interactive = ctx.stdin.isTTY === true;
  const say = (text: string) => ctx.stderr.write(`${text}\n`);
  try {
    const history = new ChatHistory(tokenizer, config.blockSize, flags.system);
    const seed = flags.seed ?? ctx.recipe.seed;
    // Each answer draws from its own stream (seed, answers since /reset): a conversation replays exactly,
    // and a question asked again after /reset gets the first answer again, at any temperature.
    let answers = 0;
    const options = { maxTokens: flags.maxTokens, temperature: flags.temperature, topK: flags.topK, topP: flags.topP, stopTokens: [END_ID, EOS_ID] };
    if (interactive) say('type a message; /reset clears the history, /exit or Ctrl-D quits');
    const lines = readline.createInterface({ input: ctx.stdin, terminal: false });
    const promptUser = () => interactive && ctx.stdout.write('> ');
    promptUser();
    for await (const line of lines) {
      const message = line.trim();
      if (message === '/exit' || message === '/quit') break;
      if (message === '/reset') {
        history.reset();
        answers = 0;
        say('(history cleared)');
      } else if (message !== '') {
        try {
          // Keep history while a quarter of the context is left to answer in: tiny models have 64 positions.
          const { ids, dropped } = history.prompt(message, Math.min(flags.maxTokens, Math.floor(config.blockSize / 4)));
          if (dropped > 0) say(`(dropped the ${dropped} oldest turns to fit the ${config.blockSize}-token context)`);
          const stream = new TextStream(tokenizer);
          const decoder = model.decoder(1);
          // Piped output keeps one line per answer, so answers line up with the input lines.
          const show = (text: string) => ctx.stdout.write(interactive ? text : text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'));
          try {
            generate(decoder, [Array.from(ids)], options, seededRandom(deriveSeed(seed, `answer ${answers}`)), (_, id) => {
              if (id !== END_ID && id !== EOS_ID) show(stream.push(id));
            });
          } finally {
            decoder.dispose();
          }
          show(stream.flush());
          ctx.stdout.write('\n');
          answers += 1;
          history.add(message, stream.text);
        } catch (error) {
          // One message that cannot be answered does not end the conversation.
          if (!(error instanceof PipelineError)) throw error;
          say(`error: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
          if (!interactive) ctx.stdout.write('\n');
        }
      }
      promptUser();
    }
    lines.close();
    return 0;
  } finally {
    model.dispose();
  }
}
