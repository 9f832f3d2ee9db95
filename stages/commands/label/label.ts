// `tempa label`: serves a local page for labelling a stage's candidate pairs A/B, appending each label to
// the labels dataset that stage reads (so the next `tempa run` retrains on them); and `--agreement`,
// which compares two labellers without a recipe.
import os from 'node:os';
import path from 'node:path';
import type { CommandContext, CommandIo } from '../../../engine/command.ts';
import { errUsage, ioStep } from '../../../engine/errors.ts';
import type { ResolvedRecipe } from '../../../engine/recipe/resolve.ts';
import type { LabelLedger } from '../../shared/preference/labels.ts';
import { agreement, describeAgreement } from './agreement.ts';
import { readCandidates } from './candidates.ts';
import { LabelsFile, readLedger } from './labels-file.ts';
import { LabelSession } from './session.ts';
import { startLabelServer } from './server.ts';

export interface LabelFlags {
  stage?: string;
  labeller?: string;
  port?: number;
}

const shown = (file: string) => path.relative(process.cwd(), file) || file;

export async function label(ctx: CommandContext, flags: LabelFlags): Promise<number> {
  const stage = pickStage(ctx, flags.stage);
  const labeller = checkLabeller(flags.labeller ?? os.userInfo().username);
  const labelsFile = labelsFileOf(ctx.recipe, stage);
  // Created before the stage runs: the stage reads it as a dataset, and an empty one is a valid start.
  const file = await LabelsFile.open(labelsFile);
  try {
    const ledger = await readLedger(labelsFile, shown(labelsFile));
    const outputs = await ctx.stageOutputs(stage);
    if (!outputs.candidates) throw errUsage(`stage \`${stage}\` wrote no candidates`);
    const candidates = await readCandidates(outputs.candidates, `${stage}.candidates (${shown(outputs.candidates)})`);
    const session = new LabelSession({ candidates, ledger, file, labeller });
    const server = await startLabelServer({
      session,
      title: `${ctx.recipe.name} · ${stage}`,
      next: `tempa run ${shown(ctx.recipe.file)}`,
      port: flags.port,
      log: (line) => ctx.stderr.write(`${line}\n`),
    });
    const { done, total } = session.progress();
    ctx.stdout.write(
      `labelling ${total} candidate pairs of stage ${stage} as ${labeller} (${done} done) at\n  ${server.url}\n` +
        `labels are appended to ${shown(labelsFile)}; Ctrl-C stops the server\n`,
    );
    // Serves until Ctrl-C: every label is already on disk, so stopping loses nothing.
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    await server.close();
    return 0;
  } finally {
    await file.close();
  }
}

function pickStage(ctx: CommandContext, given: string | undefined): string {
  const withCandidates = ctx.stagesWithOutput('candidates');
  if (given !== undefined) {
    if (ctx.recipe.stages.some((s) => s.name === given) && !withCandidates.includes(given)) {
      throw errUsage(`stage \`${given}\` writes no candidate pairs`, withCandidates.length ? `stages with candidates: ${withCandidates.join(', ')}` : 'add a make-preferences stage');
    }
    return given;
  }
  if (withCandidates.length === 1) return withCandidates[0]!;
  throw errUsage(
    withCandidates.length ? `several stages write candidate pairs: ${withCandidates.join(', ')}` : 'this recipe has no stage that writes candidate pairs',
    withCandidates.length ? 'pick one with --stage' : 'add a make-preferences stage (recipes/labels.yaml has one)',
  );
}

/** The one local file of the dataset bound to the stage's `labels` input: where labels go. */
function labelsFileOf(recipe: ResolvedRecipe, stageName: string): string {
  const stage = recipe.stages.find((s) => s.name === stageName);
  const hint = `declare a dataset and bind it: \`datasets: { labels: labels.jsonl }\`, and in stage ${stageName} \`inputs: { labels: labels }\` with \`judge: labels\` (recipes/labels.yaml does this)`;
  const ref = stage?.inputs.labels;
  if (!ref || ref.from !== 'dataset') throw errUsage(`stage \`${stageName}\` reads no labels dataset, so labels would go nowhere`, hint);
  const dataset = recipe.datasets[ref.dataset]!;
  const [only, ...more] = dataset.paths;
  if (only === undefined || more.length > 0 || only.startsWith('npm:') || /[*?[\]{}]/.test(only)) {
    throw errUsage(`dataset \`${ref.dataset}\` must be one local file to append labels to, not ${JSON.stringify(dataset.paths)}`, hint);
  }
  return path.resolve(dataset.dir, only);
}

function checkLabeller(name: string): string {
  // Control characters and overlong names would make the JSONL hard to read and the page header misleading.
  if (name.length === 0 || name.length > 64 || /\p{Cc}/u.test(name)) throw errUsage(`--labeller must be 1-64 printable characters, got ${JSON.stringify(name)}`);
  return name;
}

/** `tempa label --agreement`: two files of one labeller each, or one file with two labellers. */
export async function printAgreement(io: CommandIo, files: readonly string[]): Promise<number> {
  const usage = 'tempa label --agreement alice.jsonl bob.jsonl (or one file that two labellers share)';
  if (files.length < 1 || files.length > 2) throw errUsage(`--agreement takes one or two labels files, got ${files.length}`, usage);
  const ledgers = await Promise.all(files.map((f) => ioStep('read', f, () => readLedger(f, shown(f)))));
  const sides: { name: string; ledger: LabelLedger; labeller: string }[] = [];
  if (files.length === 2) {
    ledgers.forEach((ledger, i) => {
      const names = ledger.labellers();
      if (names.length !== 1) throw errUsage(`${shown(files[i]!)} holds labels of ${names.length} labellers (${names.join(', ') || 'none'})`, usage);
      sides.push({ name: `${names[0] || '(unnamed)'} (${shown(files[i]!)})`, ledger, labeller: names[0]! });
    });
  } else {
    const names = ledgers[0]!.labellers();
    if (names.length !== 2) throw errUsage(`${shown(files[0]!)} holds labels of ${names.length} labellers (${names.join(', ') || 'none'}); one file needs exactly two`, usage);
    for (const name of names) sides.push({ name: name || '(unnamed)', ledger: ledgers[0]!, labeller: name });
  }
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const result = agreement(a.ledger.choicesOf(a.labeller), b.ledger.choicesOf(b.labeller));
  const lines = [`${a.name} vs ${b.name}: ${result.overlap} pairs labelled by both`, describeAgreement(result)];
  if (result.disagreements.length) lines.push(`${result.disagreements.length} pairs they disagree on:`);
  for (const d of result.disagreements) {
    const why = (side: typeof a) => side.ledger.rowOf(d.pairId, side.labeller)?.rationale;
    const reasons = [why(a) && `${a.labeller}: ${JSON.stringify(why(a))}`, why(b) && `${b.labeller}: ${JSON.stringify(why(b))}`].filter(Boolean);
    lines.push(`  ${d.pairId}  ${a.labeller || 'first'} ${d.first}, ${b.labeller || 'second'} ${d.second}${reasons.length ? `  (${reasons.join('; ')})` : ''}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
