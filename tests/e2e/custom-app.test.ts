// The engine with a stage table that is not tempa's: a test application with one stage, its own
// runtime option and no commands resolves, validates and runs recipes, and knows none of tempa's
// stages, commands or flags.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { formatError } from '../../engine/cli/format-error.ts';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { ONE_STAGE_APP } from '../fixtures/one-stage-app/app.ts';
import { makeProject, type CliResult } from '../helpers/project.ts';

const CLI = path.join(import.meta.dirname, '..', 'fixtures', 'one-stage-app', 'cli.js');

function app(args: string[], cwd: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const RECIPE = `runtime: { volume: quiet }
stages:
  hello: { uses: shout, with: { text: hello } }
`;

describe('an application with its own stage table', () => {
  it('resolves its own stage and does not know tempa stages', async () => {
    const dir = await makeProject({
      'ok.yaml': RECIPE,
      'bad.yaml': 'stages:\n  load: { uses: load-data }\n  hello:\n    uses: shout\n    with: { text: why? }\n',
    });
    const recipe = await resolveRecipe(path.join(dir, 'ok.yaml'), ONE_STAGE_APP);
    assert.deepEqual(recipe.stages.map((s) => [s.name, s.plugin.source]), [['hello', 'builtin:shout']]);
    assert.deepEqual(recipe.runtime, { volume: 'quiet' });
    const error = await resolveRecipe(path.join(dir, 'bad.yaml'), ONE_STAGE_APP).catch((e: unknown) => e);
    const lines = formatError(error).replaceAll(`${dir}/`, '').split('\n');
    assert.deepEqual(lines.filter((l) => /error|hint/.test(l)), [
      'bad.yaml:2:17: error STAGE_UNKNOWN: stages.load.uses: unknown stage plugin `load-data`',
      '  hint: known plugins: shout (a local plugin is a path such as ./plugins/load-data.ts)',
      'bad.yaml:5:19: error RECIPE_INVALID: stages.hello.with.text: a shout is not a question',
      '  hint: end it with `!`',
    ]);
  });

  it('builds a CLI with its description, its runtime flag and none of tempa commands or flags', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    const help = await app(['--help'], dir);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /a one-stage test application/);
    assert.doesNotMatch(help.stdout, /language model|\bchat\b|\bgenerate\b/);
    const runHelp = await app(['run', '--help'], dir);
    assert.match(runHelp.stdout, /--volume <volume>\s+how loud to shout \(choices: "loud", "quiet"\)/);
    assert.doesNotMatch(runHelp.stdout, /--backend/);

    const run = await app(['run', 'recipe.yaml', '--volume', 'loud'], dir);
    assert.equal(run.code, 0, run.stderr);
    const lock = parse(await readFile(path.join(dir, 'recipe.lock'), 'utf8')) as { stages: Record<string, { info?: Record<string, string> }> };
    assert.deepEqual(lock.stages.hello!.info, { volume: 'loud' });
    const show = await app(['show', 'recipe.yaml', 'hello'], dir);
    assert.match(show.stdout, /letters: 5|"letters": 5|letters\s+5/);

    const unknown = await app(['run', 'recipe.yaml', '--backend', 'cpu'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--backend'/);
  });
});
