// The CLI run from dist/ (bin/build.mjs, bin/compiled-loader.mjs) must behave as the CLI through tsx:
// same output, same cache keys, never stale code, and commands that only resolve a recipe never load
// tfjs. Works on a copy of the repository, so building never races other test files over dist/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
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

  test('a source edited after the build runs as edited; one only touched still runs compiled', async () => {
    const main = path.join(root, 'engine', 'cli', 'main.ts');
    const compiledMain = path.join(root, 'dist', 'engine', 'cli', 'main.js');
    await writeFile(compiledMain, `${await readFile(compiledMain, 'utf8')}\nprocess.stderr.write('from dist\\n');\n`);
    assert.match((await tempa(['--help'])).stderr, /from dist/);

    const later = new Date(Date.now() + 60_000);
    await utimes(main, later, later);
    assert.match((await tempa(['--help'])).stderr, /from dist/, 'same text, new mtime: the build still holds');

    await writeFile(main, `${await readFile(main, 'utf8')}\nprocess.stderr.write('edited source\\n');\n`);
    const edited = await tempa(['--help']);
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stderr, /edited source/);
    assert.doesNotMatch(edited.stderr, /from dist/);
  });
});
