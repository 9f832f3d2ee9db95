// Renders a run: listr2 task list on a terminal (one task per stage, live progress and ETA),
// plain lines when output is a pipe or CI. The only importer of listr2.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { RunReporter, StageOutcome } from './events.ts';
import type { ProgressUpdate } from './stage.ts';

type Write = (line: string) => void;

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`);

function formatMetric(value: number): string {
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

function describeEnd(o: StageOutcome): string {
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
      write(`${count('ran')} ran, ${count('cached')} cached, ${count('failed')} failed, ${count('skipped')} skipped`);
    },
  };
}

interface TaskSlot {
  task?: ListrTaskWrapper<unknown, never, never>;
  done: PromiseWithResolversLike;
  startedAt: number;
  /** Set when the stage ended, possibly before listr2 started its task. */
  outcome?: StageOutcome;
}

function settleTask(slot: TaskSlot): void {
  const { task, outcome: o } = slot;
  if (!task || !o) return;
  task.title = `${o.name}: ${describeEnd(o)}`;
  if (o.status === 'cached' || o.status === 'skipped' || o.status === 'would-run') task.skip(task.title);
  if (o.status === 'failed') slot.done.reject(new Error(`${o.name}: ${o.error?.message.split('\n')[0] ?? 'failed'}`));
  else slot.done.resolve();
}

interface PromiseWithResolversLike {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): PromiseWithResolversLike {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** listr2 as a renderer only: the engine schedules, each task just mirrors one stage's events. */
export function createTaskListReporter(): RunReporter {
  const slots = new Map<string, TaskSlot>();
  let list: Promise<unknown> | undefined;
  return {
    start(stages) {
      for (const name of stages) slots.set(name, { done: deferred(), startedAt: performance.now() });
      const tasks = new Listr(
        stages.map((name) => ({
          title: name,
          task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
            const slot = slots.get(name)!;
            slot.task = task;
            settleTask(slot);
            await slot.done.promise;
          },
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } } as never,
      );
      list = tasks.run().catch(() => undefined);
    },
    stageStart(name, reasons) {
      const slot = slots.get(name);
      if (!slot) return;
      slot.startedAt = performance.now();
      if (slot.task) slot.task.title = `${name} (${reasons.join('; ')})`;
    },
    stageProgress(name, update) {
      const slot = slots.get(name);
      if (slot?.task) slot.task.output = formatProgress(update, slot.startedAt);
    },
    stageLog(name, _level, message) {
      const slot = slots.get(name);
      if (slot?.task) slot.task.output = message;
    },
    stageEnd(o) {
      const slot = slots.get(o.name);
      if (!slot) return;
      slot.outcome = o;
      settleTask(slot);
    },
    async finish() {
      await list;
    },
  };
}
