// Plain-line rendering of a run, for pipes, CI and logs: one line per event, progress at most
// once a second per stage. Shared formatting helpers for the terminal task list live here too.
import type { RunReporter, StageOutcome } from './events.ts';
import type { ProgressUpdate } from './stage.ts';

type Write = (line: string) => void;

export const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`);

export function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.01 && Math.abs(value) < 1e5 ? value.toFixed(3) : value.toExponential(2);
}

export function formatProgress(update: ProgressUpdate, startedAt: number): string {
  const elapsed = performance.now() - startedAt;
  const parts = [`step ${update.step}/${update.total}`];
  for (const [k, v] of Object.entries(update.metrics ?? {})) parts.push(`${k} ${formatMetric(v)}`);
  if (update.step > 0 && update.total > update.step) parts.push(`ETA ${seconds((elapsed / update.step) * (update.total - update.step))}`);
  return parts.join(' | ');
}

export function describeEnd(o: StageOutcome): string {
  const metrics = Object.entries(o.metrics ?? {})
    .slice(0, 4)
    .map(([k, v]) => `${k} ${formatMetric(v)}`);
  if (o.status === 'ran') return [`ran in ${seconds(o.durationMs ?? 0)}`, ...metrics].join(' | ');
  if (o.status === 'cached') return 'cached';
  if (o.status === 'skipped') return `skipped (${o.reasons.join('; ')})`;
  if (o.status === 'would-run' || o.status === 'stale') return `would run: ${o.reasons.join('; ')}`;
  return o.status;
}

/** One line per event; progress at most once a second per stage. For pipes, CI and logs. */
export function createLineReporter(write: Write): RunReporter {
  const startedAt = new Map<string, number>();
  const lastProgress = new Map<string, number>();
  return {
    start() {},
    stageStart(name, reasons) {
      startedAt.set(name, performance.now());
      write(`▶ ${name}: running (${reasons.join('; ')})`);
    },
    stageProgress(name, update) {
      const now = performance.now();
      if (now - (lastProgress.get(name) ?? 0) < 1000 && update.step !== update.total) return;
      lastProgress.set(name, now);
      write(`  ${name}: ${formatProgress(update, startedAt.get(name) ?? now)}`);
    },
    stageLog(name, level, message) {
      write(`  ${name}: ${level === 'warn' ? 'warning: ' : ''}${message}`);
    },
    stageEnd(o) {
      const mark = { ran: '✔', cached: '↷', failed: '✖', skipped: '-', 'would-run': '○', stale: '○', 'not-selected': ' ' }[o.status];
      write(`${mark} ${o.name}: ${describeEnd(o)}`);
    },
    finish(outcomes) {
      const count = (s: StageOutcome['status']) => outcomes.filter((o) => o.status === s).length;
      const wouldRun = count('would-run') ? `, ${count('would-run')} would run` : '';
      write(`${count('ran')} ran, ${count('cached')} cached, ${count('failed')} failed, ${count('skipped')} skipped${wouldRun}`);
    },
  };
}
