// Renders a run on a terminal with listr2: one task per stage, live progress and ETA. The only
// importer of listr2; loaded only when stdout is a TTY.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { RunReporter, StageOutcome } from './events.ts';
import { describeEnd, formatProgress } from './ui-lines.ts';

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
