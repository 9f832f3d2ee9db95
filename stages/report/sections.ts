// The report's inputs grouped into one section per reported stage. The section is named by the input
// (input names are keyed, so renaming one reruns the report); `<name>-curve` and `<name>-eval` belong
// to section `<name>`. What an artifact is comes from its content: a model folder, a curve.jsonl, or an
// evaluation (evaluate's eval.json, or a held-out report such as sft's eval.json).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errDataInvalid, PipelineError } from '../../engine/errors.ts';
import type { InputArtifact, UpstreamStage } from '../../engine/stage.ts';
import type { ChanceReport } from '../shared/eval/chance-baselines.ts';
import type { PassAtKReport } from '../shared/eval/sampled-pass-at-k.ts';
import type { EvalReport } from '../shared/eval/task-accuracy.ts';
import { readJsonl } from '../shared/data/jsonl.ts';
import { CONFIG_FILE, MODEL_FILE } from '../shared/model/folder.ts';

/** One row of a curve.jsonl: the step and whatever numbers the stage logged at it. */
export type CurveRow = { step: number } & Record<string, number>;

/** One model in evaluate's eval.json (what this report reads of it). */
export interface EvaluatedModel {
  label: string;
  report: EvalReport;
  passAtK?: PassAtKReport;
  /** Mean answer tokens, reward score, KL to the baseline of sampled answers. */
  drift?: Record<string, number | undefined>;
}

/** evaluate's eval.json. */
export interface Evaluation {
  chance?: ChanceReport;
  models: EvaluatedModel[];
}

export interface Section {
  name: string;
  /** The stage that wrote the section's artifacts, as the run found it. */
  stage?: UpstreamStage;
  model?: string;
  curve?: CurveRow[];
  evaluation?: Evaluation;
  /** A held-out report written by a training stage (sft's eval.json). */
  heldOut?: EvalReport;
}

const JOINS = /^(?<section>.+)-(?:curve|eval)$/;

/** Sections in the order their stages ran; each input lands in exactly one. */
export async function readSections(inputs: Record<string, InputArtifact>, upstream: readonly UpstreamStage[]): Promise<Section[]> {
  if (Object.keys(inputs).length === 0) throw new PipelineError('RECIPE_INVALID', 'report has no inputs', { hint: 'bind the stages to report, e.g. `inputs: { pretrain: pretrain.model, pretrain-curve: pretrain.curve }`' });
  const sections = new Map<string, Section>();
  for (const [input, artifact] of Object.entries(inputs)) {
    if (!artifact.from) throw notStageOutput(input);
    const name = JOINS.exec(input)?.groups?.section ?? input;
    const section = sections.get(name) ?? { name, stage: upstream.find((s) => s.name === artifact.from!.stage) };
    sections.set(name, section);
    await readArtifact(section, input, artifact);
  }
  const position = (s: Section) => (s.stage ? upstream.indexOf(s.stage) : upstream.length);
  return [...sections.values()].sort((a, b) => position(a) - position(b));
}

async function readArtifact(section: Section, input: string, artifact: InputArtifact): Promise<void> {
  const slot = (key: 'model' | 'curve' | 'evaluation' | 'heldOut') => {
    if (section[key] !== undefined) throw new PipelineError('RECIPE_INVALID', `report section \`${section.name}\` gets two ${key === 'heldOut' ? 'held-out reports' : `${key}s`} (input \`${input}\` is the second)`, { hint: 'give each stage its own input names: `<stage>`, `<stage>-curve`, `<stage>-eval`' });
  };
  if (artifact.kind === 'dir') {
    if (!existsSync(path.join(artifact.path, MODEL_FILE)) || !existsSync(path.join(artifact.path, CONFIG_FILE))) throw unreadable(input, artifact, 'a folder without model.safetensors and config.json');
    slot('model');
    section.model = artifact.path;
    return;
  }
  const file = artifact.files.length === 1 ? artifact.files[0]! : undefined;
  if (file?.endsWith('.jsonl')) {
    slot('curve');
    section.curve = await readCurve(file);
  } else if (file?.endsWith('.json')) {
    const data = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    if (Array.isArray(data.models)) {
      slot('evaluation');
      section.evaluation = data as unknown as Evaluation;
    } else if (typeof data.overall === 'object' && typeof data.tasks === 'object') {
      slot('heldOut');
      section.heldOut = data as unknown as EvalReport;
    } else throw unreadable(input, artifact, 'a JSON file that is neither an evaluation (`models`) nor a held-out report (`overall`, `tasks`)');
  } else throw unreadable(input, artifact, 'not a model folder, a curve (.jsonl) or an evaluation (.json)');
}

/** Every row of a curve.jsonl; a row without a numeric `step` is named at its line. */
export async function readCurve(file: string): Promise<CurveRow[]> {
  const rows: CurveRow[] = [];
  for await (const { line, record } of readJsonl(file)) {
    if (typeof record.step !== 'number') throw errDataInvalid(file, line, 'a curve row needs a numeric `step`', 'curve.jsonl is written by training stages (stages/shared/train/curve.ts)');
    rows.push(record as CurveRow);
  }
  return rows;
}

function notStageOutput(input: string): PipelineError {
  return new PipelineError('RECIPE_INVALID', `report input \`${input}\` is a dataset; a report reads stage outputs`, { hint: 'bind `<stage>.model`, `<stage>.curve` or `<stage>.eval`' });
}

function unreadable(input: string, artifact: InputArtifact, what: string): PipelineError {
  const from = artifact.from ? ` (${artifact.from.stage}.${artifact.from.output})` : '';
  return new PipelineError('RECIPE_INVALID', `report input \`${input}\`${from} is ${what}`, { hint: 'bind a model folder (`<stage>.model`), a curve (`<stage>.curve`) or an evaluation (`<stage>.eval`)' });
}
