// The stages a recipe can name without a path. Each entry is loaded only when a recipe uses it.
import { chatCommand, generateCommand } from './commands/index.ts';

export const BUILTIN_STAGES = {
  exec: new URL('./exec/index.ts', import.meta.url),
  'load-data': new URL('./load-data/index.ts', import.meta.url),
  'split-data': new URL('./split-data/index.ts', import.meta.url),
  tokenizer: new URL('./tokenizer/index.ts', import.meta.url),
  init: new URL('./init/index.ts', import.meta.url),
  'make-instructions': new URL('./make-instructions/index.ts', import.meta.url),
  pretrain: new URL('./pretrain/index.ts', import.meta.url),
  sft: new URL('./sft/index.ts', import.meta.url),
  evaluate: new URL('./evaluate/index.ts', import.meta.url),
  'self-instruct': new URL('./self-instruct/index.ts', import.meta.url),
  'make-preferences': new URL('./make-preferences/index.ts', import.meta.url),
} as const satisfies Record<string, URL>;

/** Commands the CLI adds beside run, status, show...: using a stage's model. */
export const BUILTIN_COMMANDS = [chatCommand, generateCommand] as const;
