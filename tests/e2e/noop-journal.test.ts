// The no-op journal from the command line: a rerun in which nothing changed prints what the last one
// printed without running the engine, and any change the cache keys depend on (a dataset, a code file
// a plugin imports, a recipe value, a stored result) still reruns exactly the stages it affects.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RACY_MS } from '../../engine/cli/noop-journal.ts';
import { makeProject } from '../helpers/project.ts';

const CLI = path.join(import.meta.dirname, '..', 'fixtures', 'journal-cli', 'cli.ts');

const RECIPE = `datasets:
  notes: data/notes.txt
stages:
  count:
    uses: exec
    inputs: { notes: notes }
    with: { command: 'wc -l < "$TEMPA_INPUT_NOTES" > "$TEMPA_OUT/n.txt"', outputs: { n: n.txt } }
  shout:
    uses: ./plugins/shout.ts
    inputs: { text: count.n }
    with: { times: 2 }
  tail:
    uses: exec
    inputs: { loud: shout.loud }
    with: { command: 'cat "$TEMPA_INPUT_LOUD" > "$TEMPA_OUT/t.txt"', outputs: { t: t.txt } }
`;

const PLUGIN = `import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shout } from './helper.ts';
export default {
  name: 'shout',
  version: 1,
  schema: { type: 'object', properties: { times: { type: 'integer', default: 1 } }, additionalProperties: false },
  inputs: () => ({ text: { kind: 'file' } }),
  outputs: () => ({ loud: { kind: 'file', path: 'loud.txt' } }),
  async run(ctx, cfg) {
    const text = await readFile(ctx.inputs.text.path, 'utf8');
    await writeFile(path.join(ctx.outDir, 'loud.txt'), shout(text).repeat(cfg.times));
    return { metrics: {}, artifacts: { loud: 'loud.txt' } };
  },
};
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tempa(args: string[], cwd: string): Promise<Run> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function statuses(cwd: string): Promise<Record<string, string>> {
  const run = await tempa(['run', '--trust', 'recipe.yaml', '--json'], cwd);
  assert.equal(run.code, 0, run.stderr);
  return Object.fromEntries((JSON.parse(run.stdout) as { stages: { name: string; status: string }[] }).stages.map((s) => [s.name, s.status]));
}

const allCached = { count: 'cached', shout: 'cached', tail: 'cached' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every file is older than the journal's racy window, then reruns: that rerun finds all
 * cached and records the journal, which the next one replays. A full run rewrites the store's live/
 * folder (its pin file comes and goes); a replay touches nothing, so its mtime tells them apart.
 */
async function recordJournal(cwd: string): Promise<void> {
  await sleep(RACY_MS + 100);
  assert.deepEqual(await statuses(cwd), allCached);
  const journal = path.join(cwd, '.tempa', 'noop');
  assert.equal(readdirSync(journal).length, 1, 'the all-cached run recorded a journal');
  const live = statSync(path.join(cwd, '.tempa', 'live')).mtimeMs;
  assert.deepEqual(await statuses(cwd), allCached);
  assert.equal(statSync(path.join(cwd, '.tempa', 'live')).mtimeMs, live, 'the rerun was a replay');
}

describe('the no-op journal', () => {
  it('replays an unchanged rerun, and reruns exactly what a dataset, code, recipe or store change affects', async () => {
    const dir = await makeProject({
      'recipe.yaml': RECIPE,
      'data/notes.txt': 'one\ntwo\n',
      'plugins/shout.ts': PLUGIN,
      'plugins/helper.ts': 'export const shout = (text: string): string => text.toUpperCase();\n',
    });
    assert.deepEqual(await statuses(dir), { count: 'ran', shout: 'ran', tail: 'ran' });
    const first = await tempa(['run', '--trust', 'recipe.yaml'], dir);
    assert.match(first.stdout, /0 ran, 3 cached/);

    await recordJournal(dir);
    await appendFile(path.join(dir, 'data', 'notes.txt'), 'three\n');
    assert.deepEqual(await statuses(dir), { count: 'ran', shout: 'ran', tail: 'ran' }, 'a dataset line more: its count changes');

    await recordJournal(dir);
    await writeFile(path.join(dir, 'plugins', 'helper.ts'), 'export const shout = (text: string): string => `${text.toUpperCase()}!`;\n');
    assert.deepEqual(await statuses(dir), { count: 'cached', shout: 'ran', tail: 'ran' }, 'a file the plugin imports changed');

    await recordJournal(dir);
    await writeFile(path.join(dir, 'recipe.yaml'), RECIPE.replace('times: 2', 'times: 3'));
    assert.deepEqual(await statuses(dir), { count: 'cached', shout: 'ran', tail: 'ran' }, 'a recipe value changed');

    await recordJournal(dir);
    const json = JSON.parse((await tempa(['run', '--trust', 'recipe.yaml', '--json'], dir)).stdout) as { stages: { name: string; outputs: Record<string, string> }[] };
    await rm(json.stages.find((s) => s.name === 'tail')!.outputs.t!, { force: true });
    assert.deepEqual(await statuses(dir), { count: 'cached', shout: 'cached', tail: 'ran' }, 'a stored result was deleted');

    await recordJournal(dir);
    const lines = await tempa(['run', '--trust', 'recipe.yaml'], dir);
    assert.match(lines.stdout, /0 ran, 3 cached/, 'another command (lines, not --json) is not answered from the JSON run');
    assert.deepEqual(await statuses(dir), allCached);
  });
});
