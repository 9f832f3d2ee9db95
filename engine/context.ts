// Builds the StageContext a plugin receives: its inputs, folders, seed, logger, progress and
// process launcher. Everything a stage can reach goes through here.
import { appendFileSync } from 'node:fs';
import { asIoError } from './errors.ts';
import { spawnLogged } from './proc.ts';
import type { RunReporter } from './events.ts';
import { seededRandom } from './rng.ts';
import type { StageContext } from './stage.ts';

export type ContextParts = Pick<StageContext, 'stage' | 'inputs' | 'outDir' | 'checkpointDir' | 'logFile' | 'recipeDir' | 'seed' | 'runtime' | 'upstream' | 'signal'> & {
  reporter: RunReporter;
  /** Where spawned process groups are recorded (see child-guard.ts). */
  groupDir?: string;
};

export function buildContext(parts: ContextParts): StageContext {
  const { stage, reporter, logFile, signal } = parts;
  const write = (level: 'info' | 'warn', message: string) => {
    try {
      appendFileSync(logFile, `${level === 'warn' ? 'warning: ' : ''}${message}\n`);
    } catch (error) {
      throw asIoError(error, 'write log file', logFile);
    }
    reporter.stageLog(stage, level, message);
  };
  return {
    stage,
    inputs: parts.inputs,
    outDir: parts.outDir,
    checkpointDir: parts.checkpointDir,
    logFile,
    recipeDir: parts.recipeDir,
    seed: parts.seed,
    random: seededRandom(parts.seed),
    runtime: parts.runtime,
    upstream: parts.upstream,
    log: { info: (m) => write('info', m), warn: (m) => write('warn', m) },
    signal,
    progress: (update) => reporter.stageProgress(stage, update),
    spawn: (command, args, options) => spawnLogged(command, args, options, signal, parts.groupDir),
  };
}
