// Trust for shared recipes: inspecting never runs a recipe's code; the first run of untrusted commands
// or code plugins fails without a terminal (naming each at its recipe line), `--trust` or the trust file
// accepts them, and a changed command asks again. Datasets and outputs stay inside their folders.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { canonicalJson, sha256 } from '../../engine/cache/canonical.ts';
import { hashModuleGraph } from '../../engine/cache/code-hash.ts';
import { makeProject, tempa } from '../helpers/project.ts';

const EXEC_RECIPE = `stages:
  hello:
    uses: exec
    with:
      command: echo hi > $TEMPA_OUT/out.txt
      outputs: { out: out.txt }
`;

/** A local plugin whose top level leaves a marker: any import of it, however brief, shows. */
const MARKING_PLUGIN = `import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./imported.marker', import.meta.url), 'imported');
export default {
  name: 'marking', version: 1,
  schema: { type: 'object', additionalProperties: false, properties: { n: { type: 'number' } } },
  outputs: () => ({ o: { kind: 'file' } }),
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(ctx.outDir + '/o.txt', 'x');
    return { metrics: {}, artifacts: { o: 'o.txt' } };
  },
};
`;

const commandHash = (command: string) => sha256(canonicalJson({ command, cwd: '.', env: {} }));

/** Runs tempa as a shared recipe's receiver would: no `--trust` added, stdin not a terminal, its own trust file. */
const untrusted = (args: string[], dir: string) => tempa(args, dir, undefined, { trusted: false, env: { TEMPA_TRUST_FILE: path.join(dir, 'trusted.json') } });

describe('trust', () => {
  it('an untrusted exec command fails without a terminal, naming it at its recipe line with the hint', async () => {
    const dir = await makeProject({ 'recipe.yaml': EXEC_RECIPE });
    const result = await untrusted(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 2);
    const hash = commandHash('echo hi > $TEMPA_OUT/out.txt').slice(0, 12);
    assert.equal(
      result.stderr,
      'error USAGE: recipe.yaml runs code that is not trusted on this machine:\n' +
        `  recipe.yaml:5:16  stage \`hello\`: command \`echo hi > $TEMPA_OUT/out.txt\` (sha256 ${hash})\n` +
        '  hint: read it, then run again with --trust (this run only), or run `tempa trust recipe.yaml` to trust it on this machine\n',
    );
    assert.equal(existsSync(path.join(dir, '.tempa', 'runs')), false, 'nothing ran');
  });

  it('--trust runs it once, without recording it', async () => {
    const dir = await makeProject({ 'recipe.yaml': EXEC_RECIPE });
    const trusted = await tempa(['run', '--trust', 'recipe.yaml'], dir, undefined, { trusted: false, env: { TEMPA_TRUST_FILE: path.join(dir, 'trusted.json') } });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(existsSync(path.join(dir, 'trusted.json')), false);
    assert.equal((await untrusted(['run', 'recipe.yaml'], dir)).code, 2, 'the next run asks again');
  });

  it('the trust file accepts it; a changed command asks again', async () => {
    const dir = await makeProject({ 'recipe.yaml': EXEC_RECIPE });
    const trust = await untrusted(['trust', 'recipe.yaml'], dir);
    assert.equal(trust.code, 0, trust.stderr);
    assert.match(trust.stdout, /trusted 1 item of recipe\.yaml/);
    const file = JSON.parse(await readFile(path.join(dir, 'trusted.json'), 'utf8')) as { recipes: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(file.recipes[path.join(await realDir(dir), 'recipe.yaml')] ?? file.recipes[path.join(dir, 'recipe.yaml')]!), [commandHash('echo hi > $TEMPA_OUT/out.txt')]);
    assert.equal((await untrusted(['run', 'recipe.yaml'], dir)).code, 0);

    await writeFile(path.join(dir, 'recipe.yaml'), EXEC_RECIPE.replace('echo hi', 'echo bye'));
    const changed = await untrusted(['run', 'recipe.yaml'], dir);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /recipe\.yaml:5:16 {2}stage `hello`: command `echo bye > \$TEMPA_OUT\/out\.txt`/);
  });

  it('a code plugin is listed with its file and code hash; editing it asks again', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  mark:\n    uses: ./marking.mjs\n', 'marking.mjs': MARKING_PLUGIN });
    const first = await untrusted(['run', 'recipe.yaml'], dir);
    assert.equal(first.code, 2);
    const hash = (await hashModuleGraph(path.join(dir, 'marking.mjs'), dir)).slice(0, 12);
    assert.match(first.stderr, new RegExp(`recipe\\.yaml:3:11 {2}stage \`mark\`: plugin marking\\.mjs \\(sha256 ${hash}\\)`));
    assert.equal(existsSync(path.join(dir, 'imported.marker')), false, 'refusing to run imported nothing');
    assert.equal((await untrusted(['trust', 'recipe.yaml'], dir)).code, 0);
    assert.equal((await untrusted(['run', 'recipe.yaml'], dir)).code, 0);
    await writeFile(path.join(dir, 'marking.mjs'), `${MARKING_PLUGIN}// edited\n`);
    assert.equal((await untrusted(['run', 'recipe.yaml'], dir)).code, 2);
  });

  it('validate, status, dag, show and run --dry-run never import a local plugin', async () => {
    const dir = await makeProject({
      'recipe.yaml': 'stages:\n  mark:\n    uses: ./marking.mjs\n    with: { n: 1 }\n  after:\n    uses: exec\n    inputs: { o: mark.o }\n    with: { command: "true" }\n',
      'marking.mjs': MARKING_PLUGIN,
    });
    for (const args of [['validate'], ['status'], ['dag'], ['show'], ['show', 'recipe.yaml', 'mark'], ['run', '--dry-run']]) {
      const result = await untrusted([...args, ...(args.length === 1 || args[0] === 'run' ? ['recipe.yaml'] : [])], dir);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(existsSync(path.join(dir, 'imported.marker')), false, `${args.join(' ')} imported the plugin`);
    }
    const validate = await untrusted(['validate', 'recipe.yaml'], dir);
    assert.match(validate.stdout, /not checked: the `with:` of `mark` \(\.\/marking\.mjs\)/);
    // The key inspection computes is the one a run uses: after a run, status says cached.
    assert.equal((await untrusted(['run', '--trust', 'recipe.yaml'], dir)).code, 0);
    assert.ok(existsSync(path.join(dir, 'imported.marker')), 'running imports it');
    const status = await untrusted(['status', 'recipe.yaml'], dir);
    assert.match(status.stdout, /mark\s+cached\nafter\s+cached/);
  });

  it('recipes shipped with tempa (recipes/) need no trust: their exec stage is trusted like built-in code', async () => {
    const dir = await makeProject({});
    const quickstart = path.join(import.meta.dirname, '../../recipes/quickstart.yaml');
    const result = await tempa(['trust', quickstart], dir, undefined, { trusted: false, env: { TEMPA_TRUST_FILE: path.join(dir, 'trusted.json') } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /quickstart\.yaml: nothing to trust/);
    assert.equal(existsSync(path.join(dir, 'trusted.json')), false);
  });
});

describe('confinement', () => {
  it('a dataset outside the recipe folder (.., absolute, a symlink out) is an error unless declared external', async () => {
    const outside = await makeProject({ 'd.txt': 'outside\n' });
    const dir = await makeProject({ 'inside.txt': 'inside\n' });
    await symlink(path.join(outside, 'd.txt'), path.join(dir, 'link.txt'));
    const recipe = (data: string) => `datasets:\n${data}stages:\n  s:\n    uses: exec\n    inputs: { x: d }\n    with: { command: "true" }\n`;
    const relative = path.relative(dir, path.join(outside, 'd.txt'));
    for (const [data, message] of [
      [`  d: ${relative}\n`, `\`${relative}\` is outside the recipe's folder`],
      [`  d: ${path.join(outside, 'd.txt')}\n`, `\`${path.join(outside, 'd.txt')}\` is outside the recipe's folder`],
      ['  d: link.txt\n', "`link.txt` is outside the recipe's folder (through a symlink"],
    ] as const) {
      await writeFile(path.join(dir, 'recipe.yaml'), recipe(data));
      const result = await untrusted(['validate', 'recipe.yaml'], dir);
      assert.equal(result.code, 2, data);
      assert.ok(result.stderr.includes(`recipe.yaml:2:6: error RECIPE_INVALID: datasets.d: dataset \`d\`: ${message}`), result.stderr);
      assert.match(result.stderr, /hint: a recipe reads only files beside it unless the dataset is declared external/);
    }
    await writeFile(path.join(dir, 'recipe.yaml'), recipe(`  d: { path: ${relative}, external: true }\n`));
    assert.equal((await untrusted(['validate', 'recipe.yaml'], dir)).code, 0);
    await writeFile(path.join(dir, 'recipe.yaml'), recipe('  d: inside.txt\n'));
    assert.equal((await untrusted(['validate', 'recipe.yaml'], dir)).code, 0);
  });

  it('an output that is a symlink out of the stage folder fails the stage', async () => {
    const outside = await makeProject({ 'secret.txt': 'not yours\n' });
    const dir = await makeProject({
      'recipe.yaml': `stages:\n  s:\n    uses: exec\n    with:\n      command: ln -s ${path.join(outside, 'secret.txt')} $TEMPA_OUT/out.txt\n      outputs: { out: out.txt }\n`,
    });
    const result = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /`out\.txt` is a symlink out of the output folder/);
  });
});

async function realDir(dir: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(dir);
}
