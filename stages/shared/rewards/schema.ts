// The recipe's `rewards:` list as a JSON Schema fragment for RL stage schemas. One flat object per reward
// rather than a oneOf per type: Ajv ignores defaults inside oneOf branches (strict mode refuses them), and
// a flat object lets validateRewards say "`cache` is only for `overlong`" instead of five branch errors.
import type { FromSchema } from 'json-schema-to-ts';

export const REWARD_TYPES = ['correct', 'format', 'overlong', 'module', 'exec'] as const;
export type RewardType = (typeof REWARD_TYPES)[number];

/** Seconds an `exec` reward may take per batch when `timeoutSeconds` is not given. */
export const DEFAULT_EXEC_TIMEOUT_SECONDS = 60;

export const rewardSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      enum: REWARD_TYPES,
      description:
        '`correct`: 1 when the task verifier accepts the stated answer, else 0. `format`: 1 when the response states an answer in ' +
        "the task's answer format, right or wrong. `overlong`: DAPO's soft length penalty, 0 up to maxTokens - cache, falling " +
        'linearly to -1 at maxTokens, -1 for a truncated answer. `module`: a function from a JS/TS module. `exec`: an external command.',
    },
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'Logged as `rewards/<name>/mean`; unique within the stage. Default: the type.',
    },
    weight: { type: 'number', default: 1, description: 'The reward is this times the score, summed over rewards.' },
    cache: { type: 'integer', minimum: 1, description: '`overlong`: the length of the penalty ramp in tokens (DAPO L_cache), below maxTokens.' },
    path: { type: 'string', minLength: 1, description: '`module`: a JS/TS file, relative to the recipe folder.' },
    export: {
      type: 'string',
      minLength: 1,
      description: '`module`: the exported function `(batch) => number[] | Promise<number[]>`. Default: the default export.',
    },
    command: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string' }, minItems: 1 },
      ],
      description:
        '`exec`: a shell command line, or [file, ...args] run without a shell. It reads the batch as JSONL on stdin (one completion ' +
        'a line: {item, prompt, response, truncated, tokens, maxTokens}) and prints one number a line on stdout, in batch order.',
    },
    cwd: { type: 'string', minLength: 1, description: '`exec`: working folder, relative to the recipe folder. Default: the recipe folder.' },
    env: { type: 'object', additionalProperties: { type: 'string' }, description: '`exec`: extra environment variables.' },
    timeoutSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 86400,
      description: `\`exec\`: the most seconds one batch may take before the command is killed (default ${DEFAULT_EXEC_TIMEOUT_SECONDS}).`,
    },
  },
} as const;

export const rewardsSchema = {
  type: 'array',
  minItems: 1,
  items: rewardSpecSchema,
  default: [{ type: 'correct' }],
  description: 'Reward functions, summed with their weights; each is logged on its own as `rewards/<name>/mean`. Default: `correct` alone.',
} as const;

/** One entry of the list; `weight` may be left out (a stage's params, defaults filled in, fit too). */
export type RewardSpec = FromSchema<typeof rewardSpecSchema, { keepDefaultedPropertiesOptional: true }>;
