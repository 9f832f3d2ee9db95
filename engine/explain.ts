// PURE: why a stage must run, in words, by diffing its key manifest against the one in the lock
// file (Snakemake's typed reasons; the "why did this rerun" that Turborepo users ask for).
import { canonicalJson } from './cache/canonical.ts';
import type { KeyManifest } from './cache/key.ts';
import type { LockEntry } from './lockfile.ts';

const show = (value: unknown): string => (value === undefined ? '(unset)' : canonicalJson(value));

/** Leaf-level differences between two plain JSON values, as `path: old -> new`. */
export function diffValues(before: unknown, after: unknown, at = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], at ? `${at}.${k}` : k));
  }
  if (show(before) === show(after)) return [];
  return [`${at || '(value)'}: ${show(before)} -> ${show(after)}`];
}

function diffFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const file of Object.keys(after).sort()) {
    if (!(file in before)) changes.push(`${file} added`);
    else if (before[file] !== after[file]) changes.push(`${file} modified`);
  }
  for (const file of Object.keys(before).sort()) if (!(file in after)) changes.push(`${file} deleted`);
  return changes;
}

export function explainStale(current: KeyManifest, key: string, previous: LockEntry | undefined): string[] {
  if (!previous) return ['never run (not in the lock file)'];
  if (previous.key === key) return ['result missing from the cache (deleted or garbage-collected)'];
  const was = previous.manifest;
  const reasons: string[] = [];
  if (was.plugin.name !== current.plugin.name) reasons.push(`plugin changed: ${was.plugin.name} -> ${current.plugin.name}`);
  else if (was.plugin.version !== current.plugin.version) reasons.push(`plugin ${current.plugin.name} version ${was.plugin.version} -> ${current.plugin.version}`);
  else if (was.plugin.code !== current.plugin.code) reasons.push(`plugin ${current.plugin.name} code changed`);
  for (const change of diffValues(was.params, current.params)) reasons.push(`param ${change}`);
  if (was.seed !== current.seed) reasons.push(`seed ${was.seed} -> ${current.seed}`);
  const names = [...new Set([...Object.keys(was.inputs), ...Object.keys(current.inputs)])].sort();
  for (const name of names) {
    const a = was.inputs[name];
    const b = current.inputs[name];
    if (!a) reasons.push(`input ${name} added`);
    else if (!b) reasons.push(`input ${name} removed`);
    else if (a.hash !== b.hash) {
      const files = diffFiles(a.files, b.files);
      const detail = files.length > 5 ? `: ${files.length} files changed` : files.length ? `: ${files.join(', ')}` : '';
      reasons.push(`input ${name} changed${detail}`);
    } else if (a.from !== b.from) reasons.push(`input ${name} now from ${b.from ?? 'a dataset'} (was ${a.from ?? 'a dataset'})`);
  }
  if (reasons.length === 0) reasons.push(`key schema changed (${was.schema} -> ${current.schema})`);
  return reasons;
}
