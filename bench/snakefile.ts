// Translates the benchmark's 50-stage recipe into a Snakefile with the same graph, so Snakemake's
// no-op rerun can be timed beside tempa's on the same chain: each exec stage becomes a rule running
// the same shell command (with the same TEMPA_* variables), load-data and split-data become a copy
// and two awk filters, and `needs:` become plain inputs (Snakemake has no ordering-only edge).
import type { Stages } from './recipes.ts';

interface StageSpec {
  uses: string;
  inputs?: Record<string, string>;
  needs?: string[];
  with?: { command?: string; outputs?: Record<string, string>; env?: Record<string, string> };
}

/** The files each built-in stage of the recipe writes, by output name. */
const BUILTIN_OUTPUTS: Record<string, Record<string, string>> = {
  'load-data': { records: 'records.jsonl' },
  'split-data': { train: 'train.jsonl', valid: 'valid.jsonl' },
};

const py = (text: string) => JSON.stringify(text); // a JSON string is a valid Python string literal here
const braces = (text: string) => text.replace(/[{}]/g, (b) => b + b); // Snakemake formats shell commands
const ruleName = (stage: string) => stage.replace(/-/g, '_');

function outputsOf(name: string, stage: StageSpec): Record<string, string> {
  const files = stage.uses === 'exec' ? stage.with?.outputs : BUILTIN_OUTPUTS[stage.uses];
  if (!files) throw new Error(`bench/snakefile.ts: no translation for stage \`${name}\` (uses: ${stage.uses})`);
  return Object.fromEntries(Object.entries(files).map(([output, file]) => [output, `out/${name}/${file}`]));
}

/** `stage.output`, `stage` (its only output) or a dataset name -> the file Snakemake sees. */
function fileOf(ref: string, outputs: Record<string, Record<string, string>>, datasets: Record<string, string>): string {
  if (Object.hasOwn(datasets, ref)) return datasets[ref]!;
  const [stage, output] = ref.split('.') as [string, string | undefined];
  const files = outputs[stage];
  if (!files) throw new Error(`bench/snakefile.ts: unknown input \`${ref}\``);
  const file = output ? files[output] : Object.values(files).length === 1 ? Object.values(files)[0] : undefined;
  if (!file) throw new Error(`bench/snakefile.ts: input \`${ref}\` names no single output`);
  return file;
}

function shellOf(name: string, stage: StageSpec): string {
  if (stage.uses === 'load-data') return 'cp {input.source} {output.records}';
  if (stage.uses === 'split-data') return "awk 'NR % 10 == 0' {input.records} > {output.valid} && awk 'NR % 10 != 0' {input.records} > {output.train}";
  const vars = [`TEMPA_OUT=out/${name}`, ...Object.keys(stage.inputs ?? {}).map((input) => `TEMPA_INPUT_${input.toUpperCase()}={input.${input}}`)];
  for (const [key, value] of Object.entries(stage.with?.env ?? {})) vars.push(`${key}=${value}`);
  return `export ${vars.join(' ')}; ${braces(stage.with!.command!)}`;
}

/** The Snakefile text; its first rule, `all`, asks for every output. */
export function toSnakefile(stages: Stages, datasets: Record<string, string>): string {
  const specs = stages as unknown as Record<string, StageSpec>;
  const outputs = Object.fromEntries(Object.entries(specs).map(([name, stage]) => [name, outputsOf(name, stage)]));
  const every = Object.values(outputs).flatMap((files) => Object.values(files));
  const rules = [`rule all:\n    input: ${every.map(py).join(', ')}\n`];
  for (const [name, stage] of Object.entries(specs)) {
    const named = Object.entries(stage.inputs ?? {}).map(([input, ref]) => `${input}=${py(fileOf(ref, outputs, datasets))}`);
    const ordering = (stage.needs ?? []).flatMap((up) => Object.values(outputs[up] ?? {})).map(py);
    const output = Object.entries(outputs[name]!).map(([key, file]) => `${key}=${py(file)}`);
    rules.push(
      [`rule ${ruleName(name)}:`, `    input: ${[...ordering, ...named].join(', ')}`, `    output: ${output.join(', ')}`, `    shell: ${py(shellOf(name, stage))}`, ''].join('\n'),
    );
  }
  return rules.join('\n');
}
