// report.md of `evaluate`: exact match per task for every model side by side, beside what chance scores,
// then pass@k from sampled answers, then the same prompts with each model's answer, so a reader sees what
// instruction tuning changed and whether guessing explains it.
import type { ChanceReport } from '../shared/eval/chance-baselines.ts';
import type { PassAtKReport } from '../shared/eval/sampled-pass-at-k.ts';
import type { EvalReport, Score } from '../shared/eval/task-accuracy.ts';
import type { Drift } from './drift.ts';

export interface ModelResult {
  /** The stage that produced the model, from its folder's metadata. */
  label: string;
  report: EvalReport;
  /** pass@k from sampled answers; absent when sampling is off (`samples: 0`). */
  passAtK?: PassAtKReport;
  /** Answers to the free-form prompts, in order. */
  promptAnswers: string[];
  /** Length, reward-model score and KL to the baseline of sampled answers (drift.ts). */
  drift?: Drift;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const cell = (score: Score | undefined) => (score ? `${score.correct}/${score.total} (${percent(score.accuracy)})` : '-');

/** Fixed-width columns, two spaces apart. */
function layout(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((text, column) => text.padEnd(widths[column]!)).join('  ').trimEnd());
}

/**
 * Lines of a fixed-width table: one row per task plus `all`; the chance baselines (most common reference
 * answer, random valid answer) when given, then one column per model.
 */
export function accuracyTable(results: readonly ModelResult[], chance?: ChanceReport): string[] {
  const tasks = [...new Set(results.flatMap((r) => Object.keys(r.report.tasks)))].sort();
  const chanceCells = (baseline: { majority: Score; random: number } | undefined) =>
    chance === undefined ? [] : baseline === undefined ? ['-', '-'] : [cell(baseline.majority), percent(baseline.random)];
  return layout([
    ['task', ...(chance === undefined ? [] : ['always-most-common', 'random-answer']), ...results.map((r) => r.label)],
    ...tasks.map((task) => [task, ...chanceCells(chance?.tasks[task]), ...results.map((r) => cell(r.report.tasks[task]))]),
    ['all', ...chanceCells(chance?.overall), ...results.map((r) => cell(r.report.overall))],
  ]);
}

/** Lines of the pass@k table: one row per task and model, one column per k; empty when no model sampled. */
export function passAtKTable(results: readonly ModelResult[]): string[] {
  const sampled = results.filter((r): r is ModelResult & { passAtK: PassAtKReport } => r.passAtK !== undefined);
  const first = sampled[0];
  if (first === undefined) return [];
  const ks = first.passAtK.overall.map((_, i) => `pass@${i + 1}`);
  const tasks = [...new Set(sampled.flatMap((r) => Object.keys(r.passAtK.tasks)))].sort();
  const rowsOf = (name: string, values: (r: (typeof sampled)[number]) => number[] | undefined) =>
    sampled.map((r, i) => [i === 0 ? name : '', r.label, ...(values(r)?.map(percent) ?? ks.map(() => '-'))]);
  return [
    `${first.passAtK.samples} sampled answers per prompt at temperature ${first.passAtK.temperature}; unbiased pass@k (Chen et al. 2021)`,
    ...layout([
      ['task', 'model', ...ks],
      ...tasks.flatMap((task) => rowsOf(task, (r) => r.passAtK.tasks[task])),
      ...rowsOf('all', (r) => r.passAtK.overall),
    ]),
  ];
}

/** Lines of the drift table (one row per model): what reward hacking would move; empty without drift. */
export function driftTable(results: readonly ModelResult[]): string[] {
  const measured = results.filter((r) => r.drift !== undefined);
  if (measured.length === 0) return [];
  const number = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
  return [
    'one answer sampled per held-out prompt at temperature 1: mean answer tokens, reward-model score (normalised), KL to the baseline (k1, summed over the answer)',
    ...layout([
      ['model', 'exact match', 'answer tokens', 'reward score', 'KL to baseline'],
      ...measured.map((r) => [r.label, percent(r.report.overall.accuracy), r.drift!.answerTokens.toFixed(2), number(r.drift!.rewardScore), number(r.drift!.klToBaseline)]),
    ]),
  ];
}

/** Indices of the first `perTask` answers of each task, in row order. */
export function shownAnswers(report: EvalReport, perTask: number): number[] {
  const seen = new Map<string, number>();
  const shown: number[] = [];
  report.answers.forEach((answer, i) => {
    const count = seen.get(answer.task) ?? 0;
    if (count < perTask) shown.push(i);
    seen.set(answer.task, count + 1);
  });
  return shown;
}

const quote = (text: string) => (text === '' ? '_(empty)_' : `\`${text.replace(/`/g, "'").replace(/\n/g, '⏎')}\``);

const CHANCE_NOTE =
  'always-most-common: always giving the task\'s most common held-out reference answer. random-answer: the expected ' +
  'score of a uniformly random answer from the task\'s answer space (exact: the mean of 1/|space| over the items).';

export function renderReport(results: readonly ModelResult[], prompts: readonly string[], perTask: number, chance?: ChanceReport): string {
  const first = results[0]!;
  const lines = ['# Evaluation', '', '## Held-out exact match per task', '', '```', ...accuracyTable(results, chance), '```', ''];
  if (chance !== undefined) lines.push(CHANCE_NOTE, '');
  const passAtK = passAtKTable(results);
  if (passAtK.length > 0) lines.push('## pass@k from sampled answers', '', passAtK[0]!, '', '```', ...passAtK.slice(1), '```', '');
  const drift = driftTable(results);
  if (drift.length > 0) lines.push('## Drift: what reward hacking would move', '', drift[0]!, '', '```', ...drift.slice(1), '```', '');
  const shown = shownAnswers(first.report, perTask);
  if (shown.length > 0) {
    lines.push('## Held-out prompts answered by each model', '');
    for (const i of shown) {
      const { task, prompt, reference } = first.report.answers[i]!;
      lines.push(`**${task}**: ${prompt.replace(/\n/g, ' ')}  `, `reference: ${quote(reference)}`, '');
      for (const r of results) {
        const a = r.report.answers[i]!;
        lines.push(`- ${r.label}: ${quote(a.response)} ${a.correct ? '✓' : '✗'}`);
      }
      lines.push('');
    }
  }
  if (prompts.length > 0) {
    lines.push('## Free-form prompts', '');
    prompts.forEach((prompt, i) => {
      lines.push(`**${prompt}**`, '');
      for (const r of results) lines.push(`- ${r.label}: ${quote(r.promptAnswers[i]!)}`);
      lines.push('');
    });
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
