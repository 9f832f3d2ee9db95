// report.md of `evaluate`: exact match per task for every model side by side, then the same prompts
// with each model's answer, so a reader sees what instruction tuning changed.
import type { EvalReport } from '../shared/eval/task-accuracy.ts';

export interface ModelResult {
  /** The stage that produced the model, from its folder's metadata. */
  label: string;
  report: EvalReport;
  /** Answers to the free-form prompts, in order. */
  promptAnswers: string[];
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Lines of a fixed-width table: one row per task plus `all`, one column per model. */
export function accuracyTable(results: readonly ModelResult[]): string[] {
  const tasks = [...new Set(results.flatMap((r) => Object.keys(r.report.tasks)))].sort();
  const cell = (score: { correct: number; total: number; accuracy: number } | undefined) =>
    score ? `${score.correct}/${score.total} (${percent(score.accuracy)})` : '-';
  const rows = [
    ['task', ...results.map((r) => r.label)],
    ...tasks.map((task) => [task, ...results.map((r) => cell(r.report.tasks[task]))]),
    ['all', ...results.map((r) => cell(r.report.overall))],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((text, column) => text.padEnd(widths[column]!)).join('  ').trimEnd());
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

export function renderReport(results: readonly ModelResult[], prompts: readonly string[], perTask: number): string {
  const first = results[0]!;
  const lines = ['# Evaluation', '', '## Held-out exact match per task', '', '```', ...accuracyTable(results), '```', ''];
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
