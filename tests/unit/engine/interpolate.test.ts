// `${...}` references: typed whole-value references, text substitution, escapes, chains, errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate } from '../../../engine/recipe/interpolate.ts';
import { parseRecipeText } from '../../../engine/recipe/parse.ts';
import { SourceMap } from '../../../engine/recipe/source-map.ts';
import type { JsonObject } from '../../../engine/recipe/compose.ts';

function resolve(yaml: string) {
  const source = parseRecipeText('/r.yaml', 'r.yaml', yaml);
  const data = source.doc.toJS() as JsonObject;
  const errors = interpolate(data, new SourceMap([source]));
  return { data, errors: errors.map((e) => `${e.location?.line}:${e.location?.col} ${e.message}${e.hint ? ` (${e.hint})` : ''}`) };
}

describe('interpolate', () => {
  it('a whole-string reference keeps the type; an embedded one is stringified', () => {
    const { data, errors } = resolve('vars: { lr: 0.001, sizes: [1, 2], on: true }\na: ${vars.lr}\nb: lr=${vars.lr} sizes=${vars.sizes}\nc: ${vars.sizes}\nd: ${vars.on}\n');
    assert.deepEqual(errors, []);
    assert.equal(data.a, 0.001);
    assert.equal(data.b, 'lr=0.001 sizes=[1,2]');
    assert.deepEqual(data.c, [1, 2]);
    assert.equal(data.d, true);
  });

  it('follows chains and list indices, and leaves \\${ as a literal', () => {
    const { data, errors } = resolve('vars: { a: "${vars.b}", b: "${model.width}", list: [x, y] }\nmodel: { width: 64 }\nc: ${vars.list.1}\nd: cost \\${HOME} ${vars.a}\n');
    assert.deepEqual(errors, []);
    assert.equal((data.vars as JsonObject).a, 64);
    assert.equal(data.c, 'y');
    assert.equal(data.d, 'cost ${HOME} 64');
  });

  it('reports a missing key with a suggestion, and a cycle with its path', () => {
    const { errors } = resolve('vars: { rate: 1 }\na: ${vars.rat}\nb: ${nothing.here}\nx: ${y}\ny: ${x}\n');
    assert.deepEqual(errors, [
      '2:4 unknown reference ${vars.rat}: `vars` has no `rat` (did you mean ${vars.rate}?)',
      '3:4 unknown reference ${nothing.here}: no top-level key `nothing` (references name recipe values, e.g. ${vars.lr} or ${vars.model.nEmbd})',
      '4:4 references form a cycle: x -> y -> x (a value may not refer to itself, directly or through other references)',
    ]);
  });
});
