// The commands tempa adds to its CLI for using a trained model and labelling its answers. Definitions
// only: the model and server code loads when a command runs, so `tempa --help` stays fast.
import { defineCommand } from '../../engine/command.ts';
import type { LabelFlags } from './label/label.ts';
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

export const labelCommand = defineCommand({
  name: 'label',
  description: "label a stage's candidate pairs A/B on a local page (appends to the stage's labels dataset); --agreement compares two labellers",
  options: [
    { flags: '--stage <stage>', description: 'the stage whose candidate pairs to label, run first if stale (default: the only stage that writes them)' },
    { flags: '--labeller <name>', description: 'your name in the labels file (default: your user name)' },
    { flags: '--port <n>', description: 'port on 127.0.0.1 (default: any free one)', type: 'integer' },
    { flags: '--agreement <files...>', description: "no page: raw agreement and Cohen's kappa of two labellers (two labels files, or one that two share), and the pairs they split on" },
  ],
  runWithoutRecipe: async (io, flags) => (flags.agreement ? (await import('./label/label.ts')).printAgreement(io, flags.agreement as string[]) : undefined),
  run: async (ctx, flags) => (await import('./label/label.ts')).label(ctx, flags as LabelFlags),
});

export const reportCommand = defineCommand({
  name: 'report',
  description: "print the path of the recipe's HTML report (runs what it needs first)",
  options: [{ flags: '--stage <stage>', description: 'the report stage (default: the last stage that writes an HTML report)' }],
  run: async (ctx, flags) => (await import('./report.ts')).reportCommand(ctx, flags as { stage?: string }),
});
