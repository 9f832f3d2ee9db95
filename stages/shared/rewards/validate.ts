// Checks across the fields of a `rewards:` list that the flat schema cannot state: which fields each type
// needs and takes, unique names, and a penalty ramp shorter than the answers. Pure, so a stage's
// `validate` hook can report the problems at the recipe's file:line before anything runs.
import type { ParamProblem } from '../../../engine/stage.ts';
import type { RewardType, RewardSpec } from './schema.ts';

type Field = Exclude<keyof RewardSpec, 'type' | 'name' | 'weight'>;

/** The fields each type needs, then the ones it also takes. */
const FIELDS: Record<RewardType, { needs: Field[]; takes: Field[] }> = {
  correct: { needs: [], takes: [] },
  format: { needs: [], takes: [] },
  overlong: { needs: ['cache'], takes: [] },
  module: { needs: ['path'], takes: ['export'] },
  exec: { needs: ['command'], takes: ['cwd', 'env', 'timeoutSeconds'] },
};

const EXAMPLES: Record<Field, string> = {
  cache: '`cache: 16` (tokens)',
  path: '`path: rewards/length.ts`',
  export: '`export: score`',
  command: '`command: [python3, score.py]`',
  cwd: '`cwd: scripts`',
  env: '`env: { KEY: value }`',
  timeoutSeconds: '`timeoutSeconds: 30`',
};

/** The name a reward is logged under. */
export const rewardName = (spec: RewardSpec): string => spec.name ?? spec.type;

/**
 * Problems with `specs`, each at `[...at, index, field]`. `maxTokens`, when known, is the stage's answer
 * length limit: an `overlong` ramp must be shorter.
 */
export function validateRewards(specs: readonly RewardSpec[], options: { at?: readonly (string | number)[]; maxTokens?: number } = {}): ParamProblem[] {
  const at = options.at ?? ['rewards'];
  const problems: ParamProblem[] = [];
  const named = new Map<string, number>();
  specs.forEach((spec, i) => {
    const { needs, takes } = FIELDS[spec.type];
    for (const field of needs) {
      if (spec[field] === undefined) problems.push({ path: [...at, i], message: `${/^[aeiou]/.test(spec.type) ? 'an' : 'a'} \`${spec.type}\` reward needs \`${field}\``, hint: `add ${EXAMPLES[field]}` });
    }
    for (const field of Object.keys(EXAMPLES) as Field[]) {
      if (spec[field] === undefined || needs.includes(field) || takes.includes(field)) continue;
      const owner = (Object.keys(FIELDS) as RewardType[]).find((type) => FIELDS[type].needs.includes(field) || FIELDS[type].takes.includes(field));
      problems.push({ path: [...at, i, field], message: `\`${field}\` is only for \`${owner}\` rewards, not \`${spec.type}\``, hint: `remove it, or set \`type: ${owner}\`` });
    }
    if (spec.type === 'overlong' && spec.cache !== undefined && options.maxTokens !== undefined && spec.cache >= options.maxTokens) {
      problems.push({
        path: [...at, i, 'cache'],
        message: `\`cache\` ${spec.cache} leaves no answer length without a penalty: answers have at most ${options.maxTokens} tokens`,
        hint: `DAPO uses a fifth of the limit: \`cache: ${Math.max(1, Math.floor(options.maxTokens / 5))}\``,
      });
    }
    const name = rewardName(spec);
    const first = named.get(name);
    if (first === undefined) named.set(name, i);
    else problems.push({ path: [...at, i], message: `rewards ${first + 1} and ${i + 1} are both named \`${name}\``, hint: 'give one a `name`: each reward is logged as `rewards/<name>/mean`' });
  });
  return problems;
}
