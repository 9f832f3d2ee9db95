// A reward written by the user as a function in a JS/TS module next to the recipe:
// `export default (batch) => batch.map((c) => ...)`, sync or async, one number per completion.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorText, PipelineError } from '../../../engine/errors.ts';
import type { Completion, RewardFunction } from './types.ts';

const SHAPE_HINT = 'the function gets the batch (an array of {item, prompt, response, truncated, tokens, maxTokens}) and returns one finite number per completion, in order';

/** Why `values` is not one finite number per completion of a batch of `count`, or undefined when it is. */
export function scoresProblem(values: unknown, count: number): string | undefined {
  if (!Array.isArray(values)) return `returned ${describe(values)}, not an array`;
  if (values.length !== count) return `returned ${values.length} scores for a batch of ${count}`;
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  return bad === -1 ? undefined : `returned ${describe(values[bad])} at index ${bad}, not a finite number`;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

type ScoreFunction = (batch: readonly Completion[]) => unknown;

export async function moduleReward(name: string, weight: number, spec: { path: string; export?: string }, recipeDir: string, display: (file: string) => string): Promise<RewardFunction> {
  const file = path.resolve(recipeDir, spec.path);
  const shown = display(file);
  const exportName = spec.export ?? 'default';
  if (!existsSync(file)) {
    throw new PipelineError('RECIPE_INVALID', `reward \`${name}\`: no module at ${shown}`, { hint: '`path` is relative to the recipe folder' });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PipelineError('RECIPE_INVALID', `reward \`${name}\`: cannot load ${shown}: ${errorText(error)}`, { cause: error, hint: 'fix the module so that Node can import it' });
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const functions = Object.keys(mod).filter((key) => typeof mod[key] === 'function');
    const known = functions.length === 0 ? 'it exports no function' : `its functions: ${functions.join(', ')}`;
    throw new PipelineError('RECIPE_INVALID', `reward \`${name}\`: ${shown} has no function export \`${exportName}\``, { hint: `${known}; name one with \`export\`` });
  }
  const score = fn as ScoreFunction;
  return {
    name,
    weight,
    async score(batch, signal) {
      signal?.throwIfAborted();
      let values: unknown;
      try {
        values = await score(batch);
      } catch (error) {
        throw new PipelineError('STAGE_FAILED', `reward \`${name}\`: ${shown} threw: ${errorText(error)}`, { cause: error, hint: SHAPE_HINT });
      }
      const problem = scoresProblem(values, batch.length);
      if (problem !== undefined) throw new PipelineError('DATA_INVALID', `reward \`${name}\`: ${shown} ${problem}`, { hint: SHAPE_HINT });
      return values as number[];
    },
  };
}
