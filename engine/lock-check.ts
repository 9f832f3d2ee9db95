// PURE: does a stage's result match the lock file, and if not, which file differs and what most likely
// made it differ. `run` and `status` use it to report (not rewrite) a lock the store disagrees with;
// `tempa verify` walks every stage with it to name the first one that differs.
import { explainStale } from './explain.ts';
import type { LockEntry } from './lockfile.ts';

export interface LockDifference {
  stage: string;
  /** 'key': the stage's inputs, parameters or code differ; 'outputs': same key, other bytes. */
  kind: 'key' | 'outputs';
  /** What differs: manifest changes for a key, `output/file` paths for outputs. */
  details: string[];
  /** The likely causes, most specific first. */
  causes: string[];
}

/**
 * `info` keys that change bytes without changing a key, and the family of cause each belongs to:
 * what `tempa verify` names when the same key gave other outputs.
 */
const INFO_CAUSES: Record<string, string> = {
  backend: 'backend',
  isa: 'instruction set',
  blas: 'BLAS library',
  node: 'package versions',
  tfjs: 'package versions',
  platform: 'platform',
};

/** Files whose hashes differ between two `output -> file -> hash` maps, as `output/file`. */
function differingFiles(before: LockEntry['files'], after: LockEntry['files'], outputs: string[]): string[] {
  const changed: string[] = [];
  for (const output of outputs) {
    const a = before?.[output];
    const b = after?.[output];
    if (!a || !b) {
      changed.push(output);
      continue;
    }
    for (const file of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[file] !== b[file]) changed.push(file === '' || file === '.' ? output : `${output}/${file}`);
    }
  }
  return changed;
}

function keyCauses(reasons: string[]): string[] {
  const causes = new Set<string>();
  for (const reason of reasons) {
    if (/^plugin .*(code changed|version)/.test(reason) || reason.startsWith('plugin changed')) causes.add('stage code: another tempa version or a local edit');
    else if (reason.startsWith('param ') || reason.startsWith('seed ')) causes.add('recipe parameters');
    else if (reason.startsWith('input ')) causes.add('data: an input dataset or upstream result');
    else causes.add(reason);
  }
  return [...causes];
}

/** Recorded, but never a cause: every reduction sums in the same order on any number of threads. */
const NOT_CAUSES = new Set(['threads']);

/** How the two runs' `info` differ, each with its family: `backend: backend wasm -> native`. */
export function infoCauses(before: Record<string, string> = {}, after: Record<string, string> = {}): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !NOT_CAUSES.has(k)).sort((a, b) => (a in INFO_CAUSES ? 0 : 1) - (b in INFO_CAUSES ? 0 : 1) || a.localeCompare(b));
  return keys.filter((k) => before[k] !== after[k]).map((k) => `${INFO_CAUSES[k] ?? k}: ${k} ${before[k] ?? '(unrecorded)'} -> ${after[k] ?? '(unrecorded)'}`);
}

/** undefined when `current` matches `locked` (same key, same output hashes). */
export function compareWithLock(stage: string, locked: LockEntry | undefined, current: LockEntry): LockDifference | undefined {
  if (!locked) return { stage, kind: 'key', details: ['not in the lock file'], causes: ['the lock was written before this stage existed'] };
  if (locked.key !== current.key) {
    const details = explainStale(current.manifest, current.key, locked);
    return { stage, kind: 'key', details, causes: keyCauses(details) };
  }
  const unverified = new Set(current.recordsTheRun ?? []);
  const outputs = [...new Set([...Object.keys(locked.outputs), ...Object.keys(current.outputs)])].sort().filter((o) => !unverified.has(o) && locked.outputs[o] !== current.outputs[o]);
  if (outputs.length === 0) return undefined;
  const files = differingFiles(locked.files, current.files, outputs);
  // Every file hash agrees but an output hash does not: only the lock itself can have changed.
  if (files.length === 0) return { stage, kind: 'outputs', details: outputs.map((o) => `${o} (its hash in the lock does not match its own file hashes)`), causes: ['the lock was edited'] };
  const causes = infoCauses(locked.info, current.info);
  if (causes.length === 0) causes.push('same backend, instruction set and versions: the stored files were changed after they were written, or the stage is not deterministic');
  return { stage, kind: 'outputs', details: files, causes };
}

/** One line for a warning: `outputs differ from the lock: model/model.safetensors (backend: ...)`. */
export function describeDifference(d: LockDifference): string {
  const what = d.kind === 'key' ? `key differs from the lock: ${d.details.join('; ')}` : `outputs differ from the lock: ${d.details.join(', ')}`;
  return `${what} (likely cause: ${d.causes.join('; ')})`;
}
