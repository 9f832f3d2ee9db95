// A reward computed by any program (a code runner, a judge in Python): it reads the batch as JSONL on
// stdin and prints one number a line. One process per batch, with a time limit; anything else it does
// (a crash, a hang, the wrong number of lines) stops the stage with the command and its stderr named.
import path from 'node:path';
import { PipelineError } from '../../../engine/errors.ts';
import { runPiped } from '../../../engine/proc.ts';
import { DEFAULT_EXEC_TIMEOUT_SECONDS } from './schema.ts';
import type { RewardFunction } from './types.ts';

export interface ExecRewardSpec {
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutSeconds?: number;
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const TAIL_LINES = 10;
const IO_HINT = 'the command reads one completion a line as JSON on stdin and must print one number a line on stdout, in the same order, then exit 0';

/** The last lines of stderr, indented as engine errors indent a log tail. */
function tail(stderr: string): string {
  const lines = stderr.trimEnd().split('\n').slice(-TAIL_LINES);
  return stderr.trim() === '' ? '\n  | (nothing on stderr)' : `\n${lines.map((line) => `  | ${line}`).join('\n')}`;
}

/** One finite number per line, or why stdout is not that. */
export function readScores(stdout: string, count: number): number[] | string {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== count) return `printed ${lines.length} line${lines.length === 1 ? '' : 's'} for a batch of ${count}`;
  const scores: number[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    const value = NUMBER.test(line) ? Number(line) : Number.NaN;
    if (!Number.isFinite(value)) return `line ${i + 1} is ${JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line)}, not a number`;
    scores.push(value);
  }
  return scores;
}

export function execReward(name: string, weight: number, spec: ExecRewardSpec, recipeDir: string): RewardFunction {
  const { command } = spec;
  const [file, args, shell] = typeof command === 'string' ? [command, [], true] : [command[0] ?? '', command.slice(1), false];
  const shown = typeof command === 'string' ? command.trim().split('\n')[0] : command.join(' ');
  const seconds = spec.timeoutSeconds ?? DEFAULT_EXEC_TIMEOUT_SECONDS;
  const fail = (what: string, stderr: string, hint: string) => new PipelineError('SUBPROCESS_FAILED', `reward \`${name}\`: \`${shown}\` ${what}${tail(stderr)}`, { hint });
  return {
    name,
    weight,
    async score(batch, signal) {
      if (batch.length === 0) return [];
      const input = batch.map((completion) => `${JSON.stringify(completion)}\n`).join('');
      const cwd = path.resolve(recipeDir, spec.cwd ?? '.');
      const result = await runPiped(file, args, { cwd, env: spec.env, shell, input, timeoutMs: seconds * 1000 }, signal);
      if (result.timedOut) throw fail(`took longer than ${seconds}s on a batch of ${batch.length} and was killed`, result.stderr, 'raise `timeoutSeconds`, or make the command faster');
      if (result.startError !== undefined) throw fail(`could not start: ${result.startError}`, result.stderr, `check that the program exists and can run from ${cwd}`);
      if (result.exitCode !== 0) {
        const how = result.signal === undefined ? `exited with code ${result.exitCode}` : `was killed by ${result.signal}`;
        throw fail(how, result.stderr, IO_HINT);
      }
      const scores = readScores(result.stdout, batch.length);
      if (typeof scores === 'string') throw fail(scores, result.stderr, IO_HINT);
      return scores;
    },
  };
}
