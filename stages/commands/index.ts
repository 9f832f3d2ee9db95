// The commands tempa adds to its CLI for using a trained model. Definitions only: the model code loads
// when a command runs, so `tempa --help` stays fast.
import { defineCommand } from '../../engine/command.ts';
import { SAMPLING_OPTIONS, type SamplingFlags } from './sampling-options.ts';

export const chatCommand = defineCommand({
  name: 'chat',
  description: "chat with a stage's model in the chat template (streams; /reset clears history; reads piped stdin too)",
  options: [...SAMPLING_OPTIONS, { flags: '--system <text>', description: 'a system turn at the start of the conversation' }],
  run: async (ctx, flags) => (await import('./chat.ts')).chat(ctx, flags as unknown as SamplingFlags & { system?: string }),
});

export const generateCommand = defineCommand({
  name: 'generate',
  description: "answer prompts with a stage's model, once",
  options: [
    ...SAMPLING_OPTIONS,
    { flags: '--prompt <text>', description: 'a user message (repeatable)', repeatable: true, required: true },
    { flags: '--raw', description: 'continue the prompt as plain text instead of answering it in the chat template', type: 'boolean' },
    { flags: '--json', description: 'print [{prompt, response}] as JSON', type: 'boolean' },
  ],
  run: async (ctx, flags) => (await import('./generate.ts')).generateCommand(ctx, flags as unknown as SamplingFlags & { prompt: string[] }),
});

export const reportCommand = defineCommand({
  name: 'report',
  description: "print the path of the recipe's HTML report (runs what it needs first)",
  options: [{ flags: '--stage <stage>', description: 'the report stage (default: the last stage that writes an HTML report)' }],
  run: async (ctx, flags) => (await import('./report.ts')).reportCommand(ctx, flags as { stage?: string }),
});
