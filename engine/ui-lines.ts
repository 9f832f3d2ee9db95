// Plain-line rendering of a run, for pipes, CI and logs: one line per stage start and end, its log
// lines (an info line another stage already printed word for word is not repeated: it stays in that
// stage's own log file), and progress at most every 10% or 30 s. Shared formatting helpers for the
// terminal task list live here too.
import type { RunReporter, StageOutcome } from './events.ts';
import type { ProgressUpdate } from './stage.ts';

type Write = (line: string) => void;

export const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`);

export function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.01 && Math.abs(value) < 1e5 ? value.toFixed(3) : value.toExponential(2);
}

export function formatProgress(update: ProgressUpdate, startedAt: number, at = performance.now()): string {
  const elapsed = at - startedAt;
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
  if (o.status === 'cached') return o.downloaded ? o.reasons.join('; ') : 'cached';
  if (o.status === 'skipped') return `skipped (${o.reasons.join('; ')})`;
  if (o.status === 'would-run' || o.status === 'stale') return `would run: ${o.reasons.join('; ')}`;
  return o.status;
}

/** A progress line is printed when this much of a stage's steps has passed since the last one... */
const PROGRESS_FRACTION = 0.1;
/** ...or this long, whichever comes first; and always for the last step. */
const PROGRESS_MS = 30_000;

/** One line per event, progress every 10% or 30 s, repeated info lines once. For pipes, CI and logs. */
export function createLineReporter(write: Write, now: () => number = () => performance.now()): RunReporter {
  const startedAt = new Map<string, number>();
  const lastProgress = new Map<string, { at: number; step: number }>();
  const said = new Set<string>();
  return {
    start() {},
    stageStart(name, reasons) {
      startedAt.set(name, now());
      lastProgress.set(name, { at: now(), step: 0 });
      write(`▶ ${name}: running (${reasons.join('; ')})`);
    },
    stageProgress(name, update) {
      const t = now();
      const last = lastProgress.get(name) ?? { at: t, step: 0 };
      const due = update.step === update.total || update.step - last.step >= update.total * PROGRESS_FRACTION || t - last.at >= PROGRESS_MS;
      if (!due) return;
      lastProgress.set(name, { at: t, step: update.step });
      write(`  ${name}: ${formatProgress(update, startedAt.get(name) ?? t, t)}`);
    },
    stageLog(name, level, message) {
      if (level !== 'warn') {
        if (said.has(message)) return;
        said.add(message);
      }
      write(`  ${name}: ${level === 'warn' ? 'warning: ' : ''}${message}`);
    },
    stageEnd(o) {
      const mark = { ran: '✔', cached: '↷', failed: '✖', skipped: '-', 'would-run': '○', stale: '○', 'not-selected': ' ' }[o.status];
      write(`${mark} ${o.name}: ${describeEnd(o)}`);
    },
    finish(outcomes) {
      const count = (s: StageOutcome['status']) => outcomes.filter((o) => o.status === s).length;
      const wouldRun = count('would-run') ? `, ${count('would-run')} would run` : '';
      const downloaded = outcomes.filter((o) => o.downloaded).length;
      write(`${count('ran')} ran, ${count('cached')} cached${downloaded ? ` (${downloaded} downloaded)` : ''}, ${count('failed')} failed, ${count('skipped')} skipped${wouldRun}`);
    },
  };
}
