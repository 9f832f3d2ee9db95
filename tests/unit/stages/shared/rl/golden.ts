// Reference numbers for the RL maths: produced live by TRL when TEMPA_PYTHON names a Python with trl and
// torch, else read from tests/fixtures/rl/golden.json (the same script's output, committed), so CI
// without trl still compares against numbers TRL produced.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/rl/', import.meta.url));
export const SCRIPT = join(FIXTURES, 'make-golden.py');
const COMMITTED = join(FIXTURES, 'golden.json');

export interface Golden {
  source: string;
  /** 'live' when TEMPA_PYTHON ran TRL now, 'committed' when read from golden.json. */
  origin: 'live' | 'committed';
  [section: string]: unknown;
}

export function loadGolden(): Golden {
  const python = process.env.TEMPA_PYTHON;
  if (!python) return { ...(JSON.parse(readFileSync(COMMITTED, 'utf8')) as Golden), origin: 'committed' };
  const dir = mkdtempSync(join(tmpdir(), 'tempa-rl-golden-'));
  try {
    const out = join(dir, 'golden.json');
    const run = spawnSync(python, [SCRIPT, '--out', out], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) {
      throw new Error(`TEMPA_PYTHON=${python} could not run ${SCRIPT} (exit ${run.status ?? run.signal}):\n${(run.stderr || String(run.error)).slice(-2000)}\n` +
        'hint: it needs torch and trl importable (pip install torch trl), or unset TEMPA_PYTHON to use the committed golden.json');
    }
    return { ...(JSON.parse(readFileSync(out, 'utf8')) as Golden), origin: 'live' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** JSON has no NaN: the script writes null for it. */
export const nanFromNull = (xs: readonly (number | null)[]): number[] => xs.map((x) => (x === null ? NaN : x));

/** |actual − expected| <= atol + rtol·|expected| elementwise, naming the first entry that is off. */
export function assertClose(actual: number | ArrayLike<number>, expected: number | readonly number[], label: string, rtol = 1e-9, atol = 1e-12): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${label}: ${a.length} values, expected ${e.length}`);
  a.forEach((x, i) => {
    const want = e[i]!;
    assert.ok(Math.abs(x - want) <= atol + rtol * Math.abs(want), `${label}[${i}]: got ${x}, TRL ${want} (all: ${a.join(', ')} vs ${e.join(', ')})`);
  });
}
