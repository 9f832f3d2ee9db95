// The grid of `tempa sweep`: how a --set list is split into values (brackets, braces and quotes keep
// their commas), the cartesian product in a fixed order, and the usage errors for unusable lists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { columnNames, expandGrid, parseAxes, splitValues, variantLabel } from '../../../engine/sweep/grid.ts';

const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof PipelineError && e.code === 'USAGE' && pattern.test(`${e.message}\n${e.hint}`));

describe('splitValues', () => {
  it('splits at top-level commas and trims', () => {
    assert.deepEqual(splitValues('1e-3, 3e-3,1e-2'), ['1e-3', '3e-3', '1e-2']);
    assert.deepEqual(splitValues('0.1'), ['0.1']);
  });

  it('keeps commas inside flow sequences, flow mappings and quotes', () => {
    assert.deepEqual(splitValues('[a, b],[c]'), ['[a, b]', '[c]']);
    assert.deepEqual(splitValues('{x: 1, y: [2, 3]},{x: 2}'), ['{x: 1, y: [2, 3]}', '{x: 2}']);
    assert.deepEqual(splitValues(`"a,b",'c,d',e`), ['"a,b"', "'c,d'", 'e']);
    assert.deepEqual(splitValues(String.raw`"say \"x,y\"",z`), [String.raw`"say \"x,y\""`, 'z']);
    assert.deepEqual(splitValues(`'it''s, here',z`), [`'it''s, here'`, 'z']);
  });

  it('a single flow sequence is one value (a list), as `tempa run --set` reads it', () => {
    assert.deepEqual(splitValues('[a, b]'), ['[a, b]']);
  });
});

describe('parseAxes and expandGrid', () => {
  it('makes the cartesian product, first axis slowest, fixed overrides in every variant', () => {
    const axes = parseAxes(['stages.sft.with.lr=1e-3,3e-3', 'seed=7', 'stages.sft.with.steps=100,200']);
    const variants = expandGrid(axes);
    assert.equal(variants.length, 4);
    assert.deepEqual(
      variants.map((v) => v.values),
      [
        { 'stages.sft.with.lr': '1e-3', 'stages.sft.with.steps': '100' },
        { 'stages.sft.with.lr': '1e-3', 'stages.sft.with.steps': '200' },
        { 'stages.sft.with.lr': '3e-3', 'stages.sft.with.steps': '100' },
        { 'stages.sft.with.lr': '3e-3', 'stages.sft.with.steps': '200' },
      ],
    );
    assert.deepEqual(variants[3]!.sets, ['seed=7', 'stages.sft.with.lr=3e-3', 'stages.sft.with.steps=200']);
    assert.deepEqual(variants.map((v) => v.index), [1, 2, 3, 4]);
  });

  it('three axes of 2, 3 and 1 values give 6 variants', () => {
    assert.equal(expandGrid(parseAxes(['a=1,2', 'b=x,y,z', 'c=[1, 2]'])).length, 6);
  });

  it('refuses a grid of more than MAX_VARIANTS variants, naming each list\'s size', () => {
    const values = Array.from({ length: 40 }, (_, i) => i).join(',');
    usage(() => expandGrid(parseAxes([`a=${values}`, `b=${values}`])), /make 1600 variants \(40 \(a\) x 40 \(b\)\), more than 1000/);
  });

  it('refuses a flag without `=`, an empty list, an empty value, a repeated value and a repeated path', () => {
    usage(() => parseAxes(['stages.sft.with.lr']), /--set stages\.sft\.with\.lr: expected path=value/);
    usage(() => parseAxes(['stages.sft.with.lr=']), /--set stages\.sft\.with\.lr=: no value given[^]*""/);
    usage(() => parseAxes(['stages.sft.with.lr= , ']), /no value given|value 1 of the list is empty/);
    usage(() => parseAxes(['x=1,,2']), /--set x=1,,2: value 2 of the list is empty[^]*stray comma/);
    usage(() => parseAxes(['x=1e-3,0.001']), /`0\.001` and `1e-3` are the same value/);
    usage(() => parseAxes(['x=1,2', 'x=3']), /`x` is set twice[^]*--set x=1,2,3/);
  });
});

describe('labels', () => {
  it('names columns by the shortest distinguishing tail of each path', () => {
    const names = columnNames(['stages.a.with.lr', 'stages.b.with.lr', 'stages.b.with.steps']);
    assert.deepEqual([...names.values()], ['a.with.lr', 'b.with.lr', 'steps']);
  });

  it('labels a variant with its swept values as typed', () => {
    const [variant] = expandGrid(parseAxes(['stages.t.with.lr=1e-3,2e-3', 'stages.t.with.tags=[a, b],[c]']));
    assert.equal(variantLabel(variant!, columnNames(['stages.t.with.lr', 'stages.t.with.tags'])), 'lr=1e-3 tags=[a, b]');
  });
});
