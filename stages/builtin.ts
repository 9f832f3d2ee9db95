// What tempa hands the generic engine (through bin/tempa.js, the composition root): the stages a
// recipe can name without a path, the commands beside run/status/show, and the `runtime:` options.
// Imported only by bin/ and tests; engine/ never imports it. Each stage module loads only when used.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../engine/app.ts';
import { RUNTIME_BACKENDS, runtimeSchema } from '../schemas/runtime.schema.ts';
import { chatCommand, generateCommand, labelCommand, reportCommand } from './commands/index.ts';
import { DECLARED_CODE } from './declared-code.ts';

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
  'reward-model': new URL('./reward-model/index.ts', import.meta.url),
  dpo: new URL('./dpo/index.ts', import.meta.url),
  ppo: new URL('./ppo/index.ts', import.meta.url),
  grpo: new URL('./grpo/index.ts', import.meta.url),
  report: new URL('./report/index.ts', import.meta.url),
} as const satisfies Record<string, URL>;

/** Commands the CLI adds beside run, status, show...: using a stage's model, labelling its answers, finding the report. */
export const BUILTIN_COMMANDS = [chatCommand, generateCommand, labelCommand, reportCommand] as const;

/** The repository root: built-in stage code is hashed relative to it; `npm:` datasets fall back to its node_modules. */
export const TEMPA_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Everything recipe resolution needs from tempa; the CLI adds its description and commands (bin/tempa.js). */
export const TEMPA: App = {
  root: TEMPA_ROOT,
  stages: BUILTIN_STAGES,
  runtime: {
    schema: runtimeSchema,
    flags: [{ name: 'backend', description: 'tensor backend (same as --set runtime.backend=...)', choices: RUNTIME_BACKENDS }],
  },
  declaredCode: DECLARED_CODE,
  shippedRecipes: path.join(TEMPA_ROOT, 'recipes'),
};
