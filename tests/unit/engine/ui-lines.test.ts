// The plain-line view of a run (pipes, CI, `> log`): progress every 10% of a stage's steps or 30 s,
// whichever first, and the last step; an info line another stage already printed is not repeated, a
// warning always is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLineReporter } from '../../../engine/ui-lines.ts';

function reporter() {
  const lines: string[] = [];
  let clock = 0;
  const r = createLineReporter((line) => lines.push(line), () => clock);
  return { r, lines, tick: (ms: number) => void (clock += ms) };
}

describe('line reporter', () => {
  it('prints progress every 10% of the steps, and the last step, however fast they come', () => {
    const { r, lines, tick } = reporter();
    r.stageStart('train', ['never run']);
    for (let step = 1; step <= 200; step++) {
      tick(5);
      r.stageProgress('train', { step, total: 200, metrics: { loss: 1 } });
    }
    const steps = lines.filter((l) => l.includes('step ')).map((l) => Number(/step (\d+)\//.exec(l)![1]));
    assert.deepEqual(steps, [20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  });

  it('prints progress after 30 s even when 10% has not passed', () => {
    const { r, lines, tick } = reporter();
    r.stageStart('slow', []);
    tick(29_000);
    r.stageProgress('slow', { step: 1, total: 1000 });
    tick(2_000);
    r.stageProgress('slow', { step: 2, total: 1000 });
    assert.deepEqual(lines.slice(1), ['  slow: step 2/1000 | ETA 15469.0s']); // 31 s for 2 steps, 998 to go
  });

  it('prints an info line another stage already printed once; warnings every time', () => {
    const { r, lines } = reporter();
    for (const stage of ['pretrain', 'sft']) {
      r.stageLog(stage, 'info', 'backend native: tempa GEMM, 2 threads');
      r.stageLog(stage, 'info', `${stage} done`);
      r.stageLog(stage, 'warn', 'disk almost full');
    }
    assert.deepEqual(lines, [
      '  pretrain: backend native: tempa GEMM, 2 threads',
      '  pretrain: pretrain done',
      '  pretrain: warning: disk almost full',
      '  sft: sft done',
      '  sft: warning: disk almost full',
    ]);
  });
});
