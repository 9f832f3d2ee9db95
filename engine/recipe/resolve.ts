// Recipe file -> a fully resolved, validated recipe: extends + --set + ${} references, the
// envelope schema, each plugin's own schema (defaults filled in), input bindings and the graph.
// Every problem found is collected and reported together.
import path from 'node:path';
import { recipeSchema } from '../../schemas/recipe.schema.ts';
import type { App } from '../app.ts';
import { errCycle, errRecipeInvalid, errStageFailed, errUnknownRef, PipelineError, RecipeErrors } from '../errors.ts';
import { topoOrder } from '../plan.ts';
import { loadPlugin, type Builtins, type LoadedPlugin } from '../registry.ts';
import type { OutputSpec, ParamProblem } from '../stage.ts';
import { toRecipeErrors, validatorFor } from './ajv.ts';
import { coerceOverrides } from './coerce-sets.ts';
import { composeRecipe, isObject, type JsonObject } from './compose.ts';
import { interpolate } from './interpolate.ts';
import { remoteSpecOf, type RemoteSpec } from '../remote/remote-spec.ts';
import type { SourceMap } from './source-map.ts';
import type { DeclaredSlurm, ExecutorName, StageResources } from '../executors/slurm-settings.ts';

export type InputRef = { from: 'dataset'; dataset: string } | { from: 'stage'; stage: string; output: string };

export interface ResolvedStage {
  name: string;
  uses: string;
  plugin: LoadedPlugin;
  params: unknown;
  /**
   * The parameters that go into the cache key. A built-in's are `params` (defaults filled in); a code
   * plugin's are its `with:` as written, since its defaults live in its code, which is keyed by hash:
   * so inspection, which never imports that code, computes the same key as a run.
   */
  keyParams: unknown;
  /** Every upstream stage: explicit `needs` plus stages named in `inputs`. */
  needs: string[];
  inputs: Record<string, InputRef>;
  outputs: Record<string, OutputSpec>;
  seed: number;
  cache: boolean;
  /** `executor:` as the stage wrote it (the recipe's, or `--executor`, apply when absent). */
  executor?: ExecutorName;
  /** What a cluster job for it asks for; not keyed. */
  resources?: StageResources;
  /** Folder of the recipe file that declared the stage. */
  dir: string;
}

export interface DatasetSpec {
  name: string;
  paths: string[];
  /** Folder of the recipe file that declared it: relative paths start here. */
  dir: string;
  /** Declared `external: true`: its files may lie outside that folder. */
  external: boolean;
}

export interface ResolvedRecipe {
  file: string;
  dir: string;
  name: string;
  seed: number;
  concurrency: number;
  /** Options for how stages compute, checked by the application's runtime schema; not keyed. */
  runtime: Record<string, unknown>;
  onError: 'fail' | 'keep-going';
  /** Where stages run unless one says otherwise; absent: local. */
  executor?: ExecutorName;
  /** How `executor: slurm` stages are submitted, as written (slurmSettings fills in the defaults when a stage is submitted). */
  slurm?: DeclaredSlurm;
  /** The shared cache `remote:` names, if any; `--remote` overrides it at run time. */
  remote?: RemoteSpec;
  datasets: Record<string, DatasetSpec>;
  /** The application's folder: `npm:` datasets not installed beside the recipe are looked up from here. */
  appRoot: string;
  /** In run order. */
  stages: ResolvedStage[];
  /** The resolved recipe as data, for `tempa show --resolved`. */
  data: JsonObject;
  sources: SourceMap;
  /** Recipe files and local plugin files: what watch mode watches besides datasets. */
  watchFiles: string[];
}

export interface ResolveOptions {
  sets?: readonly string[];
  /**
   * false: inspect only. Code plugins (paths, packages) are hashed, not imported: their `with:` is
   * checked when they run, they declare no outputs (references to them are taken on trust), and they
   * cannot run. Default true.
   */
  importCode?: boolean;
}

interface RawStage {
  uses: string;
  needs?: string[];
  inputs?: Record<string, string>;
  with?: JsonObject;
  seed?: number;
  cache?: boolean;
  executor?: ExecutorName;
  resources?: StageResources;
}

/** `app` supplies the built-in stages and the schema of `runtime:`. */
export async function resolveRecipe(file: string, app: App, options: ResolveOptions = {}): Promise<ResolvedRecipe> {
  const { data, sources, files } = await composeRecipe(file, options.sets);
  coerceOverrides(data, recipeSchema, [], sources.overridden);
  if (app.runtime && isObject(data.runtime)) coerceOverrides(data.runtime, app.runtime.schema as Record<string, unknown>, ['runtime'], sources.overridden);
  const errors: PipelineError[] = interpolate(data, sources);
  const validateEnvelope = validatorFor(recipeSchema, app.validators);
  if (!validateEnvelope(data)) errors.push(...toRecipeErrors(validateEnvelope.errors, [], sources));
  if (app.runtime && isObject(data.runtime)) {
    const validateRuntime = validatorFor(app.runtime.schema, app.validators);
    if (!validateRuntime(data.runtime)) errors.push(...toRecipeErrors(validateRuntime.errors, ['runtime'], sources));
  }

  const rawStages = isObject(data.stages) ? (data.stages as unknown as Record<string, RawStage>) : {};
  const rawDatasets = isObject(data.datasets) ? data.datasets : {};
  const stageNames = Object.keys(rawStages);
  const datasetNames = Object.keys(rawDatasets);

  const datasetSet = new Set(datasetNames);
  for (const name of stageNames.filter((n) => datasetSet.has(n))) {
    errors.push(
      errRecipeInvalid(`\`${name}\` names both a dataset and a stage`, {
        location: sources.locate(['stages', name], 'key'),
        field: `stages.${name}`,
        hint: 'inputs refer to either by name, so rename one of them',
      }),
    );
  }

  const datasets: Record<string, DatasetSpec> = {};
  for (const [name, spec] of Object.entries(rawDatasets)) {
    const declared = typeof spec === 'string' ? spec : isObject(spec) ? spec.path : undefined;
    const paths = (Array.isArray(declared) ? declared : [declared]).filter((p): p is string => typeof p === 'string');
    datasets[name] = { name, paths, dir: path.dirname(sources.fileOf(['datasets', name]).file), external: isObject(spec) && spec.external === true };
  }

  let remote: RemoteSpec | undefined;
  try {
    remote = remoteSpecOf(data.remote);
  } catch (error) {
    errors.push(errRecipeInvalid((error as PipelineError).message, { location: sources.locate(['remote']), field: 'remote', hint: (error as PipelineError).hint }));
  }

  const stages = await resolveStages(rawStages, app, sources, errors, options.importCode !== false);
  for (const stage of stages) stage.seed = rawStages[stage.name]!.seed ?? (typeof data.seed === 'number' ? data.seed : 0);
  bindInputs(stages, rawStages, datasetNames, sources, errors);

  const nodes = stages.filter((s) => s !== undefined);
  const topo = topoOrder(nodes);
  if (!topo.ok) {
    const first = topo.cycle[0]!;
    errors.push(errCycle(topo.cycle, { location: sources.locate(['stages', first], 'key'), field: `stages.${first}` }));
  }
  if (errors.length) throw new RecipeErrors(sortByLocation(errors));

  const byName = new Map(nodes.map((s) => [s.name, s]));
  const order = topo.ok ? topo.order.map((n) => byName.get(n)!) : [];
  const localPlugins = order.filter((s) => !s.plugin.source.startsWith('builtin:')).map((s) => s.plugin.file);
  return {
    file: path.resolve(file),
    dir: path.dirname(path.resolve(file)),
    name: typeof data.name === 'string' ? data.name : path.basename(file).replace(/\.ya?ml$/, ''),
    seed: data.seed as number,
    concurrency: data.concurrency as number,
    runtime: (isObject(data.runtime) ? data.runtime : {}) as Record<string, unknown>,
    onError: data.onError as 'fail' | 'keep-going',
    executor: data.executor as ExecutorName | undefined,
    slurm: isObject(data.slurm) ? (data.slurm as DeclaredSlurm) : undefined,
    remote,
    datasets,
    appRoot: app.root,
    stages: order,
    data,
    sources,
    watchFiles: [...new Set([...files, ...localPlugins])],
  };
}

async function resolveStages(rawStages: Record<string, RawStage>, app: Builtins & Pick<App, 'validators'>, sources: SourceMap, errors: PipelineError[], importCode: boolean): Promise<ResolvedStage[]> {
  const resolved = await Promise.all(
    Object.entries(rawStages).map(async ([name, raw]): Promise<ResolvedStage | undefined> => {
      if (!isObject(raw) || typeof raw.uses !== 'string') return undefined;
      const usesAt = ['stages', name, 'uses'];
      const dir = path.dirname(sources.fileOf(usesAt).file);
      let plugin: LoadedPlugin;
      try {
        plugin = await loadPlugin(raw.uses, dir, app, { importCode });
      } catch (error) {
        if (!(error instanceof PipelineError)) throw error;
        // Located only now: finding a line parses the file for positions, which a recipe that loads never needs.
        errors.push(new PipelineError(error.code, error.message, { hint: error.hint, cause: error.cause, location: sources.locate(usesAt), field: usesAt.join('.') }));
        return undefined;
      }
      const written = structuredClone(isObject(raw.with) ? raw.with : {});
      const keyParams = plugin.source.startsWith('builtin:') ? undefined : structuredClone(written);
      const common = { name, uses: raw.uses, plugin, needs: Array.isArray(raw.needs) ? [...raw.needs] : [], inputs: {}, seed: raw.seed ?? 0, cache: raw.cache !== false, executor: raw.executor, resources: raw.resources, dir };
      if (plugin.deferred) return { ...common, params: written, keyParams, outputs: {} };
      const params = written;
      coerceOverrides(params, plugin.stage.schema as Record<string, unknown>, ['stages', name, 'with'], sources.overridden);
      const validate = validatorFor(plugin.stage.schema as object, app.validators);
      if (!validate(params)) {
        errors.push(...toRecipeErrors(validate.errors, ['stages', name, 'with'], sources));
        return undefined;
      }
      const problems = checkParams(name, plugin, params, sources);
      if (problems.length) {
        errors.push(...problems);
        return undefined;
      }
      return { ...common, params, keyParams: keyParams ?? params, outputs: plugin.stage.outputs(params) };
    }),
  );
  return resolved.filter((s): s is ResolvedStage => s !== undefined);
}

/** The plugin's own `validate` hook: checks across fields that a schema cannot say, located like schema errors. */
function checkParams(name: string, plugin: LoadedPlugin, params: unknown, sources: SourceMap): PipelineError[] {
  let problems: ParamProblem[];
  try {
    problems = plugin.stage.validate?.(params) ?? [];
  } catch (error) {
    return [errStageFailed(name, error)];
  }
  return problems.map((p) => {
    const at = ['stages', name, 'with', ...p.path];
    return errRecipeInvalid(p.message, { location: sources.locate(at), field: at.join('.'), hint: p.hint });
  });
}

function bindInputs(stages: ResolvedStage[], rawStages: Record<string, RawStage>, datasetNames: string[], sources: SourceMap, errors: PipelineError[]): void {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const stageNames = Object.keys(rawStages);
  const isStage = new Set(stageNames);
  const isDataset = new Set(datasetNames);
  for (const stage of stages) {
    const raw = rawStages[stage.name]!;
    for (const [i, up] of stage.needs.entries()) {
      if (!isStage.has(up)) {
        errors.push(errUnknownRef('stage', up, stageNames, { location: sources.locate(['stages', stage.name, 'needs', i]), field: `stages.${stage.name}.needs.${i}` }));
      }
    }
    for (const [input, ref] of Object.entries(isObject(raw.inputs) ? raw.inputs : {})) {
      const at = ['stages', stage.name, 'inputs', input];
      // Only an error needs the line: locating it makes the file parse for positions.
      const opts = () => ({ location: sources.locate(at), field: at.join('.') });
      const [head, output, ...rest] = String(ref).split('.');
      const upstream = byName.get(head!);
      if (upstream?.plugin.deferred && !rest.length) {
        // Its outputs are declared by code not loaded: bound as written, checked when the recipe runs.
        stage.inputs[input] = { from: 'stage', stage: head!, output: output ?? '' };
        if (!stage.needs.includes(head!)) stage.needs.push(head!);
        continue;
      }
      if (output === undefined) {
        if (isDataset.has(head!)) stage.inputs[input] = { from: 'dataset', dataset: head! };
        else if (byName.has(head!) && Object.keys(byName.get(head!)!.outputs).length === 1) {
          stage.inputs[input] = { from: 'stage', stage: head!, output: Object.keys(byName.get(head!)!.outputs)[0]! };
        } else if (byName.has(head!)) {
          const outs = Object.keys(byName.get(head!)!.outputs);
          errors.push(errRecipeInvalid(`stage \`${head}\` has several outputs; name one`, { ...opts(), hint: `write one of: ${outs.map((o) => `${head}.${o}`).join(', ')}` }));
        } else errors.push(errUnknownRef('dataset or stage', head!, [...datasetNames, ...stageNames], opts()));
        continue;
      }
      if (rest.length || !upstream) {
        if (!upstream && !rest.length && !isStage.has(head!)) errors.push(errUnknownRef('stage', head!, stageNames, opts()));
        else if (rest.length) errors.push(errRecipeInvalid(`bad input reference \`${ref}\``, { ...opts(), hint: 'write a dataset name or <stage>.<output>' }));
        continue;
      }
      if (!(output in upstream.outputs)) {
        errors.push(errUnknownRef(`output of stage \`${head}\``, output, Object.keys(upstream.outputs), opts()));
        continue;
      }
      stage.inputs[input] = { from: 'stage', stage: head!, output };
      if (!stage.needs.includes(head!)) stage.needs.push(head!);
    }
    for (const ref of Object.values(stage.inputs)) {
      if (ref.from === 'stage' && !stage.needs.includes(ref.stage)) stage.needs.push(ref.stage);
    }
    checkRequiredInputs(stage, Object.keys(isObject(raw.inputs) ? raw.inputs : {}), sources, errors);
  }
}

/** `bound`: the input names the recipe wrote, whether or not their references resolved. */
function checkRequiredInputs(stage: ResolvedStage, bound: string[], sources: SourceMap, errors: PipelineError[]): void {
  const declared = stage.plugin.stage.inputs?.(stage.params);
  if (!declared) return;
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.optional || bound.includes(name)) continue;
    errors.push(
      errRecipeInvalid(`stage \`${stage.name}\` (${stage.uses}) needs input \`${name}\``, {
        location: sources.locate(['stages', stage.name], 'key'),
        field: `stages.${stage.name}.inputs.${name}`,
        hint: `add \`inputs: { ${name}: <dataset or stage.output> }\`${spec.description ? ` (${spec.description})` : ''}`,
      }),
    );
  }
  const known = Object.keys(declared);
  for (const name of bound) {
    if (known.includes(name)) continue;
    errors.push(errUnknownRef(`input of \`${stage.uses}\``, name, known, { location: sources.locate(['stages', stage.name, 'inputs', name], 'key'), field: `stages.${stage.name}.inputs.${name}` }));
  }
}

function sortByLocation(errors: PipelineError[]): PipelineError[] {
  return [...errors].sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? -1 : lb ? 1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.col - lb.col;
  });
}
