// The process layer under I/O failure: a log that cannot be opened or written (a full disk, here
// /dev/full, which refuses every write with ENOSPC) is an IO_FAILED error naming the file with a
// hint, and the command is stopped; never an unhandled stream 'error' that kills tempa.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import { spawnLogged } from '../../../engine/proc.ts';
import { groupAlive } from '../../helpers/process-groups.ts';
import { waitFor } from '../../helpers/project.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const run = (script: string, logFile: string) => spawnLogged('sh', ['-c', script], { logFile }, new AbortController().signal);

describe('spawnLogged', () => {
  it('logs every byte of a large output', async () => {
    const log = path.join(await tempDir('tempa-proc-'), 'x.log');
    const result = await run("head -c 3000000 /dev/zero | tr '\\0' x", log);
    assert.equal(result.exitCode, 0);
    assert.equal(readFileSync(log).length, 3_000_000);
  });

  it("ends when the command does, killing background processes it left holding the output open", { timeout: 15_000 }, async () => {
    const dir = await tempDir('tempa-proc-');
    const started = Date.now();
    const result = await run(`echo $$ > ${dir}/pgid; (while true; do echo tick; sleep 0.05; done) & echo main done`, path.join(dir, 'x.log'));
    assert.equal(result.exitCode, 0);
    assert.ok(Date.now() - started < 5_000);
    const pgid = Number(readFileSync(path.join(dir, 'pgid'), 'utf8'));
    await waitFor(() => !groupAlive(pgid), 5_000, 'the background loop to be killed');
  });

  it('turns a full disk under the log into IO_FAILED with the path and a hint, and stops the command', async () => {
    const started = Date.now();
    const error = await run('while true; do echo spam; done', '/dev/full').then(
      () => assert.fail('a failed log write must fail the command'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PipelineError);
    assert.equal(error.code, 'IO_FAILED');
    assert.match(error.message, /^cannot write log file \/dev\/full: no space left on device \(ENOSPC\)$/);
    assert.match(error.hint!, /free space on the disk that holds \/dev/);
    assert.ok(Date.now() - started < 10_000, 'the endless command was stopped');
  });

  it('turns a log that cannot be opened into IO_FAILED instead of waiting forever', async () => {
    const log = path.join(await tempDir('tempa-proc-'), 'missing', 'x.log');
    await assert.rejects(run('echo hi', log), (e: unknown) => e instanceof PipelineError && e.code === 'IO_FAILED' && e.message.startsWith(`cannot open log file ${log}`));
  });
});
