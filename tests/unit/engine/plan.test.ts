// Plan tests on small drawn graphs (DVC test_repro_plan): order, cycles, selections.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ancestorsOf, descendantsOf, selectStages, topoOrder, type GraphNode } from '../../../engine/plan.ts';

const graph = (edges: Record<string, string[]>): GraphNode[] => Object.entries(edges).map(([name, needs]) => ({ name, needs }));

//   a ──> b ──> d
//   └───> c ──┘      e (alone)
const diamond = graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] });

describe('topoOrder', () => {
  it('orders a diamond, preferring the earliest-declared ready stage', () => {
    assert.deepEqual(topoOrder(diamond), { ok: true, order: ['a', 'b', 'c', 'd', 'e'] });
  });

  it('keeps declaration order when stages are declared after their consumers', () => {
    //   z <── y <── x   (declared x, y, z)
    const result = topoOrder(graph({ x: ['y'], y: ['z'], z: [] }));
    assert.deepEqual(result, { ok: true, order: ['z', 'y', 'x'] });
  });

  it('names the cycle in run order', () => {
    //   a ──> b ──> c ──> a      d ──> a
    const result = topoOrder(graph({ a: ['c'], b: ['a'], c: ['b'], d: ['a'] }));
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.cycle, ['a', 'b', 'c', 'a']);
  });

  it('reports a self-loop as a cycle of one stage', () => {
    const result = topoOrder(graph({ a: ['a'] }));
    assert.deepEqual(!result.ok && result.cycle, ['a', 'a']);
  });
});

describe('selection', () => {
  it('ancestors and descendants follow edges', () => {
    assert.deepEqual([...ancestorsOf(diamond, ['d'])].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual([...descendantsOf(diamond, ['b'])].sort(), ['b', 'd']);
  });

  it('--only selects exactly the named stages', () => {
    assert.deepEqual([...selectStages(diamond, { only: ['c'] })], ['c']);
  });

  it('--from selects the stage and everything downstream', () => {
    assert.deepEqual([...selectStages(diamond, { from: ['c'] })].sort(), ['c', 'd']);
  });

  it('--to selects the stage and everything upstream', () => {
    assert.deepEqual([...selectStages(diamond, { to: ['b'] })].sort(), ['a', 'b']);
  });

  it('--from and --to together select the stages between', () => {
    assert.deepEqual([...selectStages(diamond, { from: ['b'], to: ['d'] })].sort(), ['b', 'd']);
  });

  it('no selection means every stage', () => {
    assert.equal(selectStages(diamond, {}).size, 5);
  });
});
