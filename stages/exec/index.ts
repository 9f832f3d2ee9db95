// `uses: exec`: runs any command as a stage. Inputs arrive as TEMPA_INPUT_<NAME> paths, outputs are
// written under TEMPA_OUT, and a non-zero exit fails the stage with the tail of its log.
import path from 'node:path';
import { errSubprocess } from '../../engine/errors.ts';
import { defineStage, type OutputSpec } from '../../engine/stage.ts';
import { execSchema } from './schema.ts';

const envName = (name: string) => `TEMPA_INPUT_${name.toUpperCase().replace(/-/g, '_')}`;

export default defineStage({
  name: 'exec',
  version: 1,
  description: 'Run a command; declared outputs are written under $TEMPA_OUT.',
  schema: execSchema,
  outputs(params) {
    const outputs: Record<string, OutputSpec> = {};
    for (const [name, file] of Object.entries(params.outputs ?? {})) outputs[name] = { kind: file.endsWith('/') ? 'dir' : 'file' };
    return outputs;
  },
  async run(ctx, params) {
    const env: Record<string, string> = {
      ...params.env,
      TEMPA_OUT: ctx.outDir,
      TEMPA_CHECKPOINT_DIR: ctx.checkpointDir,
      TEMPA_SEED: String(ctx.seed),
      TEMPA_STAGE: ctx.stage, // for the command's logs: keys leave the stage's name out, so outputs must not depend on it
    };
    for (const [name, input] of Object.entries(ctx.inputs)) env[envName(name)] = input.path;
    const [file, args, shell] = typeof params.command === 'string' ? [params.command, [], true] : [params.command[0]!, params.command.slice(1), false];
    const full = typeof params.command === 'string' ? params.command.trim() : params.command.join(' ');
    const display = full.includes('\n') ? `${full.split('\n')[0]} …` : full;
    const result = await ctx.spawn(file, args, { cwd: path.resolve(ctx.recipeDir, params.cwd ?? '.'), env, shell, logFile: ctx.logFile });
    if (result.exitCode !== 0) throw errSubprocess(display, result.exitCode, ctx.logFile, result.tail);
    const artifacts: Record<string, string> = {};
    for (const [name, out] of Object.entries(params.outputs ?? {})) artifacts[name] = out.replace(/\/+$/, '');
    return { metrics: {}, artifacts };
  },
});
