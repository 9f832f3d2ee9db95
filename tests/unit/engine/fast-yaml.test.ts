// The fast recipe reader must read every recipe exactly as `yaml` does, or refuse it (and let `yaml`
// read it): checked on every recipe in the repository and on the scalars where YAML versions differ.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { loadFast } from '../../../engine/recipe/fast-yaml.ts';
import { parseRecipeText } from '../../../engine/recipe/parse.ts';
import { TEMPA_ROOT } from '../../../stages/builtin.ts';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !e.parentPath.includes('node_modules') && !e.parentPath.includes('.tempa'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** What `yaml` reads, or undefined where it reports an error (the fast reader must then refuse too, or agree). */
function slow(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length ? undefined : (doc.toJS({ onAnchor: undefined }) as unknown);
}

describe('fast recipe reading', () => {
  it('reads every recipe in the repository as yaml does', () => {
    const files = [...yamlFiles(path.join(TEMPA_ROOT, 'recipes')), ...yamlFiles(path.join(TEMPA_ROOT, 'tests'))];
    assert.ok(files.length > 20, `found ${files.length} recipes`);
    let fast = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const got = loadFast(text);
      if (got === undefined) continue;
      fast += 1;
      assert.deepEqual(got, slow(text), file);
    }
    assert.ok(fast > files.length / 2, `only ${fast} of ${files.length} read the fast way`);
  });

  it('resolves scalars and keys by the YAML 1.2 core schema, as yaml does, or refuses them', () => {
    const values = [
      '1_000', '0o17', '0x1F', '017', '+12', '-0', '1e3', '1E-3', '1.', '.5', '-.inf', '+.INF', '.NaN', '.nan', 'yes', 'no', 'on', 'off',
      'True', 'FALSE', 'tRUE', '~', 'null', 'Null', 'NULL', '', '"null"', '2024-01-01', '2001-12-14t21:59:43.10-05:00', '1:2', '0b101',
      '12345678901234567890', '"1"', "'true'", '!!str 3', '!!int "7"', '!!float 1', '!!bool yes', '!!binary aGk=', '1.0', '1.50', '[a, b]', '[a]',
      '{x: 1}', '? complex', '&x 1', '|\n  text\n', '>-\n  folded\n  more\n', '"a\\tb\\u00e9"', "'it''s'", 'multi\n  line plain', '<<: {x: 1}', '__proto__',
    ];
    let fast = 0;
    for (const v of values) {
      for (const text of [`a: ${v}\n`, `b: [${v}]\n`, `${v}: key\n`, `c:\n  - ${v}\n`, `d: { k: ${v} }\n`, `e:\n  ${v}: 1\n`]) {
        const got = loadFast(text);
        if (got === undefined) continue;
        fast += 1;
        assert.deepEqual(got, slow(text), JSON.stringify(text));
      }
    }
    assert.ok(fast > 200, `${fast} read the fast way`);
  });

  it('refuses what yaml reports (duplicate keys, bad indentation), so the errors stay exact', () => {
    assert.equal(loadFast('a: 1\na: 2\n'), undefined);
    assert.throws(() => parseRecipeText('/r.yaml', 'r.yaml', 'a: 1\na: 2\n'), /1 problem|Map keys must be unique/);
    assert.equal(loadFast('a:\n  b: 1\n c: 2\n'), undefined);
    assert.equal(loadFast('%YAML 1.1\n---\na: yes\n'), undefined, 'a 1.1 document reads yes as true in yaml');
  });

  it('parses for positions only when asked', () => {
    const source = parseRecipeText('/r.yaml', 'r.yaml', 'stages:\n  s: { uses: exec }\n');
    assert.deepEqual(source.data, { stages: { s: { uses: 'exec' } } });
    assert.equal(source.lineCounter.linePos(source.text.indexOf('exec')).line, 2);
  });
});
