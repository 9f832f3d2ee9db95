// The shared cache against a real S3-compatible server on 127.0.0.1: machine A publishes, machine B
// (an empty store, the same bucket) downloads instead of recomputing; a flipped byte in the bucket
// is never used; push/pull move results explicitly; credentials never reach a lock, log or store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentReporter, type RunReporter, type StageOutcome } from '../../engine/events.ts';
import { makeProject, REPO_ROOT, runPipeline, tempa } from '../helpers/project.ts';
import { S3_CREDENTIALS, startS3Server, startTearingProxy, type S3Server } from '../helpers/s3-server.ts';

const BUCKET = 'team-cache';

// Each stage appends to a counter beside the project, outside every store: what ran is counted there.
const RECIPE = `datasets: { words: words.txt }
stages:
  upper:
    uses: exec
    inputs: { words: words }
    with:
      command: echo upper >> ../ran.txt; tr a-z A-Z < "$TEMPA_INPUT_WORDS" > "$TEMPA_OUT/upper.txt"; echo "made upper"
      outputs: { text: upper.txt }
  split:
    uses: exec
    inputs: { text: upper.text }
    with:
      command: echo split >> ../ran.txt; mkdir -p "$TEMPA_OUT/parts"; split -l 2 "$TEMPA_INPUT_TEXT" "$TEMPA_OUT/parts/p"; head -c 3000 /dev/urandom > "$TEMPA_OUT/parts/noise.bin"
      outputs: { parts: parts/ }
`;

/** A fresh project folder with its own empty store; `header` goes before the recipe's stages. */
const machine = (header = '') => makeProject({ 'p/recipe.yaml': `${header}${RECIPE}`, 'p/words.txt': 'alpha\nbeta\ngamma\ndelta\nepsilon\n' });
const ranOn = async (dir: string) => (await readFile(path.join(dir, 'ran.txt'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

function recorder(): { reporter: RunReporter; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, reporter: { ...silentReporter, stageLog: (_name, level, m) => void (level === 'warn' && warnings.push(m)) } };
}

/** Every file under `dir`, relative path -> bytes. */
async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(path.relative(dir, path.join(entry.parentPath, entry.name)), await readFile(path.join(entry.parentPath, entry.name)));
  }
  return out;
}

describe('the shared cache on an S3-compatible server', () => {
  let s3: S3Server;
  const saved = { ...process.env };

  before(async () => {
    s3 = await startS3Server([BUCKET]);
    Object.assign(process.env, S3_CREDENTIALS);
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
  });
  after(async () => {
    process.env = saved;
    await s3.close();
  });

  it('machine B downloads what machine A ran and published: no stage runs, every byte identical', async () => {
    const remote = { remote: `s3://${BUCKET}/ab`, remoteEndpoint: s3.endpoint };
    const a = await machine();
    const runA = await runPipeline(path.join(a, 'p', 'recipe.yaml'), remote);
    assert.deepEqual(runA.ran, ['upper', 'split']);
    const names = await s3.list(BUCKET, 'ab/');
    assert.equal(names.filter((n) => n.startsWith('ab/results/')).length, 2, names.join('\n'));
    assert.ok(names.filter((n) => n.startsWith('ab/blobs/')).length >= 5, 'every output file and log is a blob');

    // B names the same bucket in its recipe instead of on the command line.
    const b = await machine(`remote:\n  url: s3://${BUCKET}/ab\n  endpoint: ${s3.endpoint}\n  region: eu-west-1\n`);
    const { reporter, warnings } = recorder();
    const runB = await runPipeline(path.join(b, 'p', 'recipe.yaml'), { reporter });
    assert.deepEqual(warnings, []);
    assert.deepEqual(runB.ran, []);
    assert.deepEqual(runB.cached, ['upper', 'split']);
    assert.ok(runB.outcomes.every((o) => o.downloaded), 'both came from the bucket');
    assert.deepEqual(await ranOn(b), [], 'no stage ran on machine B');
    for (const stage of ['upper', 'split']) {
      const [oa, ob] = [runA, runB].map((r) => r.outcomes.find((o) => o.name === stage)!) as [StageOutcome, StageOutcome];
      assert.equal(ob.key, oa.key);
      assert.deepEqual(await filesUnder(ob.outDir!), await filesUnder(oa.outDir!), `${stage}: the same files, byte for byte`);
      assert.equal(await readFile(ob.logFile!, 'utf8'), await readFile(oa.logFile!, 'utf8'), 'the log travels too');
    }
    assert.deepEqual(runB.entries, runA.entries, 'the same lock entries');
    // Downloaded results are committed to B's store: the next run is a plain local hit, remote or not.
    const again = await runPipeline(path.join(b, 'p', 'recipe.yaml'), { remoteEndpoint: 'http://127.0.0.1:9' });
    assert.deepEqual(again.cached, ['upper', 'split']);
    assert.ok(again.outcomes.every((o) => !o.downloaded));
  });

  it('two machines publishing the same keys at once leave one complete result per key', async () => {
    const remote = { remote: `s3://${BUCKET}/race`, remoteEndpoint: s3.endpoint };
    const [a, b, c] = await Promise.all([machine(), machine(), machine()]);
    // The split stage writes random bytes: A's and B's results for its key differ, and either may land.
    const [runA, runB] = await Promise.all([a, b].map((dir) => runPipeline(path.join(dir, 'p', 'recipe.yaml'), remote)));
    assert.ok([...runA!.ran, ...runB!.ran].includes('split'));
    assert.equal((await s3.list(BUCKET, 'race/results/')).length, 2, 'one result object per key');
    const { reporter, warnings } = recorder();
    const runC = await runPipeline(path.join(c, 'p', 'recipe.yaml'), { ...remote, reporter, verify: true });
    assert.deepEqual(warnings, []);
    assert.deepEqual(runC.ran, []);
    const noise = async (run: typeof runC) => readFile(path.join(run.outcomes.find((o) => o.name === 'split')!.outputs!.parts!, 'noise.bin'));
    const got = await noise(runC);
    assert.ok(got.equals(await noise(runA!)) || got.equals(await noise(runB!)), "C holds A's result or B's, whole");
  });

  it('a byte flipped in a bucket object is detected: not used, recomputed, and the bucket repaired', async () => {
    const remote = { remote: `s3://${BUCKET}/flip`, remoteEndpoint: s3.endpoint };
    const a = await machine();
    const runA = await runPipeline(path.join(a, 'p', 'recipe.yaml'), remote);
    const noise = await readFile(path.join(runA.outcomes.find((o) => o.name === 'split')!.outputs!.parts!, 'noise.bin'));
    const hash = createHash('sha256').update(noise).digest('hex');
    const blob = `flip/blobs/${hash.slice(0, 2)}/${hash}`;
    const bytes = await s3.get(BUCKET, blob);
    bytes[1234] = bytes[1234]! ^ 0x01;
    await s3.put(BUCKET, blob, bytes);

    const c = await machine();
    const { reporter, warnings } = recorder();
    const runC = await runPipeline(path.join(c, 'p', 'recipe.yaml'), { ...remote, reporter });
    assert.deepEqual(runC.cached, ['upper'], 'the intact result is used');
    assert.deepEqual(runC.ran, ['split'], 'the damaged one is recomputed');
    assert.deepEqual(await ranOn(c), ['split']);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`^remote s3://team-cache/flip: result [0-9a-f]{12} is damaged \\(blobs/../${hash} has 3000 bytes hashing to [0-9a-f]{12}, expected 3000 bytes hashing to ${hash.slice(0, 12)}\\); not used, computing it here$`));
    assert.equal(await readdir(path.join(c, 'p', '.tempa', 'tmp')).then((t) => t.length), 0, 'no half-downloaded result is left');

    // C's recomputation replaced the damaged blob, so machine D gets everything from the bucket.
    const d = await machine();
    const runD = await runPipeline(path.join(d, 'p', 'recipe.yaml'), remote);
    assert.deepEqual(runD.ran, []);
    assert.deepEqual(await ranOn(d), []);
  });

  it('a download that breaks off (a blob, a result) is fetched once more and then used', async () => {
    const a = await machine();
    const runA = await runPipeline(path.join(a, 'p', 'recipe.yaml'), { remote: `s3://${BUCKET}/torn`, remoteEndpoint: s3.endpoint });
    const noise = await readFile(path.join(runA.outcomes.find((o) => o.name === 'split')!.outputs!.parts!, 'noise.bin'));
    const hash = createHash('sha256').update(noise).digest('hex');
    // The first transfer of the noise blob and of the upper stage's result object break off.
    const upperKey = runA.outcomes.find((o) => o.name === 'upper')!.key!;
    const seen = new Set<string>();
    const firstTime = (what: string) => !seen.has(what) && Boolean(seen.add(what));
    const proxy = await startTearingProxy(s3.endpoint, (method, url) => method === 'GET' && ((url.includes(hash) && firstTime(hash)) || (url.includes(`${upperKey}.json`) && firstTime(upperKey))));
    try {
      const b = await machine();
      const { reporter, warnings } = recorder();
      const runB = await runPipeline(path.join(b, 'p', 'recipe.yaml'), { remote: `s3://${BUCKET}/torn`, remoteEndpoint: proxy.endpoint, reporter });
      assert.equal(proxy.torn.length, 2, 'the first transfers of the blob and the result broke off');
      assert.deepEqual(warnings, []);
      assert.deepEqual(runB.ran, []);
      assert.deepEqual(await ranOn(b), []);
      assert.deepEqual(await readFile(path.join(runB.outcomes.find((o) => o.name === 'split')!.outputs!.parts!, 'noise.bin')), noise);
    } finally {
      await proxy.close();
    }
  });

  it('push and pull move results by key; tempa status and --help never load the SDK', async () => {
    const flags = ['--remote', `s3://${BUCKET}/pushpull`, '--remote-endpoint', s3.endpoint];
    const env = { ...process.env, ...S3_CREDENTIALS };
    const a = await machine();
    const ran = await tempa(['run', 'p/recipe.yaml'], a, undefined, { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(await s3.list(BUCKET, 'pushpull/'), [], 'a run without a remote publishes nothing');

    const pushed = await tempa(['push', 'p/recipe.yaml', ...flags], a, undefined, { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /upper: pushed [0-9a-f]{12} \(1 file\(s\) uploaded, 0 there already\)/);
    assert.match(pushed.stdout, /2 of 2 stage results are in s3:\/\/team-cache\/pushpull/);
    const again = await tempa(['push', 'p/recipe.yaml', ...flags], a, undefined, { env });
    assert.match(again.stdout, /split: already in the remote [0-9a-f]{12} \(0 file\(s\) uploaded, 4 there already\)/);

    const b = await machine();
    const pulled = await tempa(['pull', 'p/recipe.yaml', ...flags], b, undefined, { env });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /upper: pulled [\s\S]*split: pulled [\s\S]*2 of 2 stage results are in the local store/);
    const local = await tempa(['run', 'p/recipe.yaml', '--json'], b, undefined, { env });
    assert.deepEqual((JSON.parse(local.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), ['cached', 'cached']);
    assert.deepEqual(await ranOn(b), []);
    const c = await machine();
    const viaRun = await tempa(['run', 'p/recipe.yaml', ...flags], c, undefined, { env });
    assert.equal(viaRun.code, 0, viaRun.stderr);
    assert.match(viaRun.stdout, /upper: downloaded from s3:\/\/team-cache\/pushpull\n.*split: downloaded from s3:\/\/team-cache\/pushpull\n0 ran, 2 cached \(2 downloaded\), 0 failed/);
    assert.deepEqual(await ranOn(c), []);

    // The SDK loads only where a remote is used: a recipe naming one still inspects without it.
    const guard = ['--import', path.join(REPO_ROOT, 'tests', 'fixtures', 'no-aws-sdk', 'register.mjs')];
    const withRemote = await makeProject({ 'p/recipe.yaml': `remote: { url: "s3://${BUCKET}/x", endpoint: "${s3.endpoint}" }\n${RECIPE}`, 'p/words.txt': 'a\n' });
    const guarded = [['--help'], ['status', 'p/recipe.yaml'], ['run', 'p/recipe.yaml', '--dry-run'], ['pull', 'p/recipe.yaml']];
    const runs = await Promise.all(guarded.map((args) => tempa(args, withRemote, undefined, { env: { ...env, NODE_OPTIONS: guard.join(' ') } })));
    for (const [i, run] of runs.slice(0, 3).entries()) assert.equal(run.code, 0, `tempa ${guarded[i]!.join(' ')}: ${run.stderr}`);
    assert.match(runs[3]!.stderr, /no-aws-sdk guard/, 'the guard works: pull loads the SDK');

    // Credentials are read from the environment and written nowhere.
    for (const dir of [a, b, c]) {
      for (const [file, bytes] of await filesUnder(dir)) {
        const text = bytes.toString('latin1');
        assert.ok(!text.includes(S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY) && !text.includes(S3_CREDENTIALS.AWS_ACCESS_KEY_ID), `${file} holds a credential`);
      }
    }
    for (const out of [ran, pushed, again, pulled, local, viaRun].flatMap((r) => [r.stdout, r.stderr])) assert.ok(!out.includes(S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY));
  });

  it('a missing bucket or refused credentials are clear errors for pull; an unreachable remote lets a run go on locally, warned once', async () => {
    const env = { ...process.env, ...S3_CREDENTIALS };
    const a = await machine();
    const [missing, refused, down] = await Promise.all([
      tempa(['pull', 'p/recipe.yaml', '--remote', 's3://no-such-bucket/x', '--remote-endpoint', s3.endpoint], a, undefined, { env }),
      tempa(['pull', 'p/recipe.yaml', '--remote', `s3://${BUCKET}/x`, '--remote-endpoint', s3.endpoint], a, undefined, { env: { ...env, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' } }),
      tempa(['run', 'p/recipe.yaml', '--remote', `s3://${BUCKET}/x`, '--remote-endpoint', 'http://127.0.0.1:9'], a, undefined, { env }),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error IO_FAILED: remote s3:\/\/no-such-bucket\/x: cannot reach the bucket: bucket no-such-bucket does not exist at http:\/\/127\.0\.0\.1:\d+\n  hint: create it/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');

    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error IO_FAILED: remote s3:\/\/team-cache\/x: cannot reach the bucket: credentials refused or missing .*\n  hint: credentials come from the standard AWS chain/);
    assert.ok(!refused.stderr.includes(S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY));

    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout.match(/cannot be reached/g)?.length, 1, down.stdout);
    assert.match(down.stdout, /remote s3:\/\/team-cache\/x: cannot reach the bucket: the endpoint at http:\/\/127\.0\.0\.1:9 cannot be reached \(ECONNREFUSED\).*running locally without the shared cache/);
    assert.deepEqual(await ranOn(a), ['upper', 'split']);
    assert.ok((await stat(path.join(a, 'p', 'recipe.lock'))).isFile());
  });
});
