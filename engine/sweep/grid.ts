// The grid of a sweep: each `--set path=v1,v2` is an axis, and the variants are their cartesian
// product. A value is the same YAML text `tempa run --set` takes; only a comma outside brackets,
// braces and quotes separates values, so `[a, b]`, `{k: 1, j: 2}` and `"a,b"` stay one value.
import { canonicalJson } from '../cache/canonical.ts';
import { errUsage } from '../errors.ts';
import { yaml } from '../recipe/yaml-on-demand.ts';

/** One `--set`: its path and the values it takes, as typed (trimmed). One value: a fixed override. */
export interface Axis {
  path: string;
  values: string[];
}

export interface Variant {
  /** 1-based, in grid order (the last axis varies fastest). */
  index: number;
  /** path -> value as typed, for each swept axis (axes with one value are left out). */
  values: Record<string, string>;
  /** The `--set path=value` overrides that make this variant: fixed ones first, then the swept ones. */
  sets: string[];
}

/** Splits `text` at commas that stand outside `[]`, `{}` and quotes. */
export function splitValues(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      // YAML escapes a single quote inside single quotes by doubling it, which this also skips over.
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** The value a `--set` text stands for, read as `tempa run --set` reads it (YAML, else the text). */
function parsedValue(text: string): string {
  try {
    return canonicalJson(yaml().parse(text) ?? null);
  } catch {
    return JSON.stringify(text);
  }
}

/** Reads `--set path=values` flags into axes; an unusable flag is a usage error naming it. */
export function parseAxes(sets: readonly string[]): Axis[] {
  const axes: Axis[] = [];
  for (const assignment of sets) {
    const eq = assignment.indexOf('=');
    const flag = `--set ${assignment}`;
    if (eq <= 0) throw errUsage(`${flag}: expected path=value[,value...]`, 'example: --set stages.train.with.lr=1e-3,3e-3');
    const path = assignment.slice(0, eq).trim();
    const text = assignment.slice(eq + 1);
    if (text.trim() === '') throw errUsage(`${flag}: no value given`, 'give one value (a fixed override) or a comma list (one variant per value); write an empty string as ""');
    const values = splitValues(text);
    const empty = values.findIndex((v) => v === '');
    if (empty >= 0) throw errUsage(`${flag}: value ${empty + 1} of the list is empty`, 'remove the stray comma, or write an empty string as ""');
    const seen = new Map<string, string>();
    for (const value of values) {
      const same = seen.get(parsedValue(value));
      if (same !== undefined) throw errUsage(`${flag}: \`${value}\` and \`${same}\` are the same value`, 'each value of a list makes one variant: list it once');
      seen.set(parsedValue(value), value);
    }
    const earlier = axes.find((a) => a.path === path);
    if (earlier) throw errUsage(`${flag}: \`${path}\` is set twice`, `list all its values in one --set: --set ${path}=${[...earlier.values, ...values].join(',')}`);
    axes.push({ path, values });
  }
  return axes;
}

/**
 * More variants than this is taken for a mistake (a list pasted into the wrong flag): every variant is
 * resolved and checked before the first one runs, and each gets its own lock file and table row.
 */
export const MAX_VARIANTS = 1000;

/** The cartesian product of the axes, in order: the first axis varies slowest. */
export function expandGrid(axes: readonly Axis[]): Variant[] {
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_VARIANTS) {
    const sizes = axes.filter((a) => a.values.length > 1).map((a) => `${a.values.length} (${a.path})`);
    throw errUsage(`the --set lists make ${total} variants (${sizes.join(' x ')}), more than ${MAX_VARIANTS}`, 'sweep fewer values at once: a coarse grid first, then a finer one around the best row');
  }
  const fixed = axes.filter((a) => a.values.length === 1).map((a) => `${a.path}=${a.values[0]}`);
  const swept = axes.filter((a) => a.values.length > 1);
  let combos: Array<Array<[string, string]>> = [[]];
  for (const axis of swept) combos = combos.flatMap((combo) => axis.values.map((v) => [...combo, [axis.path, v] as [string, string]]));
  return combos.map((combo, i) => ({
    index: i + 1,
    values: Object.fromEntries(combo),
    sets: [...fixed, ...combo.map(([p, v]) => `${p}=${v}`)],
  }));
}

/** `lr=1e-3 steps=100`: a variant's values under the column names of `columns`. */
export function variantLabel(variant: Variant, columns: ReadonlyMap<string, string>): string {
  const parts = Object.entries(variant.values).map(([p, v]) => `${columns.get(p) ?? p}=${v}`);
  return parts.length ? parts.join(' ') : '(the recipe as it is)';
}

/**
 * A short column name per path: the fewest trailing segments that no other path ends with
 * (`stages.a.with.lr` and `stages.b.with.lr` become `a.with.lr` and `b.with.lr`).
 */
export function columnNames(paths: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const p of paths) {
    const segments = p.split('.');
    let n = 1;
    const tail = (q: string, k: number) => q.split('.').slice(-k).join('.');
    while (n < segments.length && paths.some((q) => q !== p && tail(q, n) === tail(p, n))) n++;
    names.set(p, tail(p, n));
  }
  return names;
}
