// The rerun matrix: after each kind of edit, exactly the expected stages run and the rest hit the
// cache. The graph:
//
//   dataset a ──> upA ──┐
//                       ├──> joined ──> count
//   dataset b ──> upB ──┘
//   other (no inputs)
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { makeProject, runPipeline } from '../helpers/project.ts';

const PLUGIN = `// A local plugin: upper-cases its input.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
export default {
  name: 'upper',
  version: 1,
  description: 'upper-case a file',
  schema: { type: 'object', additionalProperties: false, properties: { suffix: { type: 'string', default: '' } } },
  inputs: () => ({ src: { kind: 'file' } }),
  outputs: () => ({ out: { kind: 'file' } }),
  async run(ctx, params) {
    const text = await readFile(ctx.inputs.src.path, 'utf8');
    await writeFile(path.join(ctx.outDir, 'out.txt'), text.toUpperCase() + params.suffix);
    return { metrics: { chars: text.length }, artifacts: { out: 'out.txt' } };
  },
};
`;

const RECIPE = `datasets:
  a: a.txt
  b: b.txt
stages:
  upA:
    uses: ./plugins/upper.mjs
    inputs: { src: a }
  upB:
    uses: ./plugins/upper.mjs
    inputs: { src: b }
  joined:
    uses: exec
    inputs: { x: upA.out, y: upB.out }
    with:
      command: cat "$TEMPA_INPUT_X" "$TEMPA_INPUT_Y" > "$TEMPA_OUT/joined.txt"
      outputs: { joined: joined.txt }
  count:
    uses: exec
    inputs: { joined: joined.joined }
    with:
      command: wc -c < "$TEMPA_INPUT_JOINED" > "$TEMPA_OUT/n.txt"
      outputs: { n: n.txt }
  other:
    uses: exec
    with:
      command: echo "$WORD" > "$TEMPA_OUT/word.txt"
      env: { WORD: hello }
      outputs: { word: word.txt }
`;

// The same recipe, reformatted: keys reordered, flow <-> block style, comments, quoting.
const REFORMATTED = `# reformatted, same meaning
stages:
  other:
    with:
      outputs:
        word: "word.txt"
      env:
        WORD: 'hello'   # same value
      command: 'echo "$WORD" > "$TEMPA_OUT/word.txt"'
    uses: exec
  count:
    with: { outputs: { n: n.txt }, command: "wc -c < \\"$TEMPA_INPUT_JOINED\\" > \\"$TEMPA_OUT/n.txt\\"" }
    inputs:
      joined: joined.joined
    uses: exec
  joined:
    inputs: { y: upB.out, x: upA.out }
    uses: exec
    with:
      outputs: { joined: joined.txt }
      cwd: .   # a built-in's default spelt out; a code plugin's with: is keyed as written (its defaults are in its code)
      command: cat "$TEMPA_INPUT_X" "$TEMPA_INPUT_Y" > "$TEMPA_OUT/joined.txt"
  upB: { uses: ./plugins/upper.mjs, inputs: { src: b } }
  upA: { uses: ./plugins/upper.mjs, inputs: { src: a } }
datasets: { b: b.txt, a: a.txt }
`;

describe('rerun matrix', () => {
  let dir: string;
  let recipe: string;
  const edit = async (file: string, change: (text: string) => string) => {
    const full = path.join(dir, file);
    await writeFile(full, change(await readFile(full, 'utf8')));
  };
  const run = async () => {
    const result = await runPipeline(recipe);
    assert.deepEqual(result.failed, []);
    return { ran: result.ran.sort(), cached: result.cached.sort() };
  };

  before(async () => {
    dir = await makeProject({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'plugins/upper.mjs': PLUGIN, 'recipe.yaml': RECIPE });
    recipe = path.join(dir, 'recipe.yaml');
  });

  it('first run executes every stage', async () => {
    assert.deepEqual((await run()).ran, ['count', 'joined', 'other', 'upA', 'upB']);
  });

  it('an unchanged rerun executes nothing', async () => {
    assert.deepEqual(await run(), { ran: [], cached: ['count', 'joined', 'other', 'upA', 'upB'] });
  });

  it('editing one stage parameter reruns exactly that stage', async () => {
    await edit('recipe.yaml', (t) => t.replace('WORD: hello', 'WORD: bonjour'));
    assert.deepEqual((await run()).ran, ['other']);
  });

  it('editing a parameter that changes an output reruns the stage and its descendants', async () => {
    await edit('recipe.yaml', (t) => t.replace('inputs: { src: b }', 'inputs: { src: b }\n    with: { suffix: "!" }'));
    assert.deepEqual((await run()).ran, ['count', 'joined', 'upB']);
  });

  it('editing a dataset reruns exactly its consumers and their descendants', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'alpha, edited\n');
    assert.deepEqual((await run()).ran, ['count', 'joined', 'upA']);
  });

  it('editing a plugin reruns every stage that uses it, then what its new outputs feed', async () => {
    await edit('plugins/upper.mjs', (t) => t.replace('text.toUpperCase()', "text.toUpperCase().replaceAll('A', '4')"));
    assert.deepEqual((await run()).ran, ['count', 'joined', 'upA', 'upB']);
  });

  it('a plugin edit that keeps outputs identical stops at the plugin stages (early cutoff)', async () => {
    await edit('plugins/upper.mjs', (t) => `// a comment changes the code hash, not the output\n${t}`);
    assert.deepEqual((await run()).ran, ['upA', 'upB']);
  });

  it('reverting edits hits the cache again', async () => {
    await edit('plugins/upper.mjs', (t) => t.replace("// a comment changes the code hash, not the output\n", '').replace(".replaceAll('A', '4')", ''));
    await edit('recipe.yaml', () => RECIPE);
    await writeFile(path.join(dir, 'a.txt'), 'alpha\n');
    assert.deepEqual(await run(), { ran: [], cached: ['count', 'joined', 'other', 'upA', 'upB'] });
  });

  it('reformatting the recipe (key order, style, comments, quotes) reruns nothing', async () => {
    await edit('recipe.yaml', () => REFORMATTED);
    assert.deepEqual((await run()).ran, []);
  });

  it('a stage renamed keeps its cache (keys do not include stage names)', async () => {
    await edit('recipe.yaml', (t) => t.replace('  other:', '  greeting:'));
    const result = await runPipeline(recipe);
    assert.deepEqual(result.ran, []);
    assert.ok(result.cached.includes('greeting'));
  });

  it('renaming a stage that others read reruns its readers (they may name it), and nothing past them whose inputs are the same bytes', async () => {
    await edit('recipe.yaml', (t) => t.replace('  upA:', '  upperA:').replace('x: upA.out', 'x: upperA.out'));
    assert.deepEqual(await run(), { ran: ['joined'], cached: ['count', 'greeting', 'upB', 'upperA'] });
  });
});
