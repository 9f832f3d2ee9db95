// Timing and printing for the engine benchmark: repeat a function, summarise min/median, and
// print aligned tables. Benchmarks print numbers; nothing here asserts a duration.

export interface Stats {
  runs: number;
  min: number;
  median: number;
}

/** Milliseconds one call of `fn` takes. */
export async function timeOnce<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Calls `fn` `runs` times in a row; `check` sees every result (use it for correctness, not timing). */
export async function timeRuns<T>(runs: number, fn: () => Promise<T> | T, check?: (value: T) => void): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value } = await timeOnce(fn);
    check?.(value);
    samples.push(ms);
  }
  return summarise(samples);
}

export function summarise(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs: sorted.length, min: sorted[0]!, median };
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A row for a measurement that was repeated: label, runs, min, median, note. */
export const statsRow = (label: string, s: Stats, note = ''): string[] => [label, String(s.runs), formatMs(s.min), formatMs(s.median), note];

/** A row for a measurement taken once. */
export const onceRow = (label: string, ms: number, note = ''): string[] => [label, '1', formatMs(ms), formatMs(ms), note];

export const STATS_COLUMNS = ['measurement', 'runs', 'min', 'median', 'note'];

type Write = (line: string) => void;

/** First and last columns left-aligned (label, note), the numbers between right-aligned. */
export function printTable(write: Write, title: string, columns: readonly string[], rows: readonly string[][]): void {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const last = columns.length - 1;
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === last ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  write('');
  write(title);
  write(line(columns));
  write(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) write(line(row));
}

/** Median milliseconds of `timed` calls of `fn(i)` after `warmup` untimed ones. */
export async function medianAfterWarmup(warmup: number, timed: number, fn: (i: number) => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + timed; i++) {
    const start = performance.now();
    await fn(i);
    if (i >= warmup) samples.push(performance.now() - start);
  }
  return summarise(samples).median;
}
