// The CLI run from dist/ (bin/build.mjs; dist/direct/ when every source is as built, else the hook of
// bin/compiled-loader.mjs) must behave as the CLI through tsx: same output, same cache keys, never stale
// code, and commands that only resolve a recipe never load tfjs. Works on a copy of the repository, so
// building never races other test files over dist/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { RACY_MS } from '../../engine/cli/noop-journal.ts';
import { REPO_ROOT } from '../helpers/project.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NO_TFJS = path.join(REPO_ROOT, 'tests', 'fixtures', 'no-tfjs', 'register.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the compiled CLI', () => {
  let root = '';
  const tempa = (args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) => node([...nodeArgs, path.join(root, 'bin', 'tempa.js'), ...args], root, env);
  const viaTsx = { TEMPA_COMPILED: '0' };

  before(async () => {
    root = await tempDir('tempa-compiled-');
    for (const dir of ['bin', 'engine', 'stages', 'schemas']) await cp(path.join(REPO_ROOT, dir), path.join(root, dir), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) await cp(path.join(REPO_ROOT, file), path.join(root, file));
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
    await mkdir(path.join(root, 'recipes'));
    await cp(path.join(REPO_ROOT, 'recipes', 'quickstart.yaml'), path.join(root, 'recipes', 'quickstart.yaml'));
    const built = await node([path.join(root, 'bin', 'build.mjs')], root);
    assert.equal(built.code, 0, built.stderr);
  });

  test('the build compiles every module and gives each built-in stage a view without its training code', async () => {
    const manifest = JSON.parse(await readFile(path.join(root, 'dist', 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string; view?: boolean }> };
    assert.ok(manifest.files['engine/cli/main.ts'], 'main.ts compiled');
    assert.equal(manifest.files['stages/pretrain/index.ts']?.view, true);
    const full = await readFile(path.join(root, 'dist', 'stages', 'pretrain', 'index.js'), 'utf8');
    const view = await readFile(path.join(root, 'dist', 'stages', 'pretrain', 'index.view.js'), 'utf8');
    assert.match(full, /trainLoop/);
    assert.doesNotMatch(view, /trainLoop|shared\/train|backend\/tf/);
    assert.match(view, /\?tempa=run/);
    // Its hook-free twin imports the full module beside it, and names the source as its import.meta.url.
    const direct = await readFile(path.join(root, 'dist', 'direct', 'stages', 'pretrain', 'index.view.js'), 'utf8');
    assert.match(direct, /new URL\("\.\/index\.js", import\.meta\.url\)/);
    assert.doesNotMatch(direct, /\?tempa=run|\.ts"\)?;?\n|trainLoop/);
    assert.match(await readFile(path.join(root, 'dist', 'direct', 'stages', 'builtin.js'), 'utf8'), /new URL\("\.\.\/\.\.\/\.\.\/stages\/builtin\.ts", import\.meta\.url\)/);
  });

  test('the build precompiles the schema validators; they fill defaults and report errors as a run-time compile does', async () => {
    const { precompiledName, validatorFor } = (await import(pathToFileURL(path.join(root, 'engine', 'recipe', 'ajv.ts')).href)) as typeof import('../../engine/recipe/ajv.ts');
    const { default: exec } = (await import(pathToFileURL(path.join(root, 'stages', 'exec', 'index.ts')).href)) as typeof import('../../stages/exec/index.ts');
    const validators = path.join(root, 'dist', 'validators');
    const schema = exec.schema as object;
    assert.ok(existsSync(path.join(validators, precompiledName(schema)!)), 'the exec schema has a precompiled validator');
    assert.equal(existsSync(path.join(validators, precompiledName({ ...schema, description: 'edited' })!)), false, 'an edited schema has none');
    const precompiled = validatorFor(schema, validators);
    const compiled = validatorFor(structuredClone(schema)); // another object: not the cached validator
    assert.notEqual(precompiled, compiled);
    for (const input of [{ command: 'true', outputs: { o: 'o.txt' } }, { command: 3, outputz: {} }, {}]) {
      const [a, b] = [structuredClone(input), structuredClone(input)];
      assert.equal(precompiled(a), compiled(b), JSON.stringify(input));
      assert.deepEqual(a, b, 'the same defaults filled in');
      assert.deepEqual(JSON.parse(JSON.stringify(precompiled.errors ?? null)), JSON.parse(JSON.stringify(compiled.errors ?? null)));
    }
  });

  test('--help prints the same compiled and through tsx', async () => {
    const [compiled, source] = await Promise.all([tempa(['--help']), tempa(['--help'], viaTsx)]);
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.equal(compiled.stdout, source.stdout);
    assert.match(compiled.stdout, /Usage: tempa/);
  });

  test('status gives every stage the same key compiled and through tsx', async () => {
    const [compiled, source] = await Promise.all([tempa(['status', 'recipes/quickstart.yaml', '--json']), tempa(['status', 'recipes/quickstart.yaml', '--json'], viaTsx)]);
    assert.equal(compiled.code, 0, compiled.stderr);
    const keys = (run: Run) => (JSON.parse(run.stdout) as { name: string; key: string }[]).map(({ name, key }) => `${name} ${key}`);
    assert.ok(keys(compiled).length >= 10);
    assert.deepEqual(keys(compiled), keys(source));
  });

  test('status, validate, dag and show resolve the quickstart without loading tfjs', async () => {
    for (const command of [['status'], ['validate'], ['dag'], ['show', 'pretrain']]) {
      const run = await tempa([...command.slice(0, 1), 'recipes/quickstart.yaml', ...command.slice(1)], {}, ['--import', NO_TFJS]);
      assert.equal(run.code, 0, `tempa ${command.join(' ')}: ${run.stderr}`);
    }
    // The guard itself works: through tsx every stage module loads whole, tfjs with it.
    const whole = await tempa(['validate', 'recipes/quickstart.yaml'], viaTsx, ['--import', NO_TFJS]);
    assert.notEqual(whole.code, 0);
    assert.match(whole.stderr, /no-tfjs guard: @tensorflow\//);
  });

  test('a stage runs through its view: run() loads the full module', async () => {
    await mkdir(path.join(root, 'project', 'data'), { recursive: true });
    await writeFile(path.join(root, 'project', 'data', 'a.txt'), 'one\n\ntwo\n\nthree\n');
    const recipe = path.join(root, 'project', 'recipe.yaml');
    await writeFile(recipe, 'datasets:\n  text: data/*.txt\nstages:\n  corpus:\n    uses: load-data\n    inputs: { source: text }\n    with: { format: text, textUnit: paragraph }\n');
    const run = await tempa(['run', recipe, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), ['ran']);
  });

  test("a recipe's TypeScript plugin runs with the CLI from dist/direct/ (the hook loads for it alone)", async () => {
    // Outside any package.json with "type": "module": the plugin is an ES module all the same.
    const project = await tempDir('tempa-ts-plugin-');
    await writeFile(path.join(project, 'recipe.yaml'), 'stages:\n  hello:\n    uses: ./hello.ts\n    with: { word: hi }\n');
    await writeFile(
      path.join(project, 'hello.ts'),
      `import { writeFile } from 'node:fs/promises';
interface Params { word: string }
const shout = (word: string): string => word.toUpperCase();
export default {
  name: 'hello', version: 1,
  schema: { type: 'object', additionalProperties: false, properties: { word: { type: 'string' } } },
  outputs: () => ({ o: { kind: 'file' } }),
  async run(ctx: { outDir: string }, params: Params) {
    await writeFile(ctx.outDir + '/o.txt', shout(params.word));
    return { metrics: {}, artifacts: { o: 'o.txt' } };
  },
};
`,
    );
    const run = await tempa(['run', path.join(project, 'recipe.yaml'), '--trust', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const [stage] = (JSON.parse(run.stdout) as { stages: { status: string; outputs: Record<string, string> }[] }).stages;
    assert.equal(stage?.status, 'ran');
    assert.equal(await readFile(stage!.outputs.o!, 'utf8'), 'HI');
  });

  test('a no-op rerun from dist/direct/ is answered from the journal; through tsx, with no build id, never', async () => {
    const project = await tempDir('tempa-journal-');
    await writeFile(path.join(project, 'recipe.yaml'), 'stages:\n  a:\n    uses: exec\n    with: { command: \'echo a > "$TEMPA_OUT/a.txt"\', outputs: { a: a.txt } }\n');
    const run = async (env: Record<string, string> = {}) => {
      const result = await tempa(['run', path.join(project, 'recipe.yaml'), '--trust', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    await run();
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 100)); // the journal records no file younger than this
    const recorded = await run();
    assert.equal((await readdir(path.join(project, '.tempa', 'noop'))).length, 1);
    // A full run's pin file comes and goes in live/; a replay touches nothing in the store.
    const live = async () => (await stat(path.join(project, '.tempa', 'live'))).mtimeMs;
    const before = await live();
    assert.equal(await run(), recorded);
    assert.equal(await live(), before, 'replayed');
    await run(viaTsx);
    assert.notEqual(await live(), before, 'through tsx it ran in full');
  });

  test('fresh sources run dist/direct/; an edited one runs as edited, the rest from dist/ through the hook', async () => {
    const main = path.join(root, 'engine', 'cli', 'main.ts');
    await appendFile(path.join(root, 'dist', 'direct', 'engine', 'cli', 'main.js'), "\nprocess.stderr.write('from dist/direct\\n');\n");
    await appendFile(path.join(root, 'dist', 'engine', 'cli', 'shared.js'), "\nprocess.stderr.write('shared from dist\\n');\n");
    assert.match((await tempa(['--help'])).stderr, /from dist\/direct/);

    const later = new Date(Date.now() + 60_000);
    await utimes(main, later, later);
    assert.match((await tempa(['--help'])).stderr, /from dist\/direct/, 'same text, new mtime: the build still holds');

    await writeFile(main, `${await readFile(main, 'utf8')}\nprocess.stderr.write('edited source\\n');\n`);
    const edited = await tempa(['--help']);
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stderr, /edited source/);
    assert.match(edited.stderr, /shared from dist/, 'unedited modules still come compiled, through the hook');
    assert.doesNotMatch(edited.stderr, /from dist\/direct/);
  });
});
