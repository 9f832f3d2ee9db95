// A real one-node Slurm cluster on 127.0.0.1 for the executor tests: its own munge key and munged, a
// slurm.conf in a temp folder, slurmctld and slurmd as root (slurmd must be, to start jobs). Debian's
// slurm-wlm and munge packages (.ci/run installs them); without them, or without root, tests skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { tempDir } from './temp-dir.ts';

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol'];

/** Why the Slurm tests cannot run here, or undefined when they can. */
export function slurmUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b} || [ -x /usr/sbin/${b} ]`]).status !== 0);
  if (missing.length) return `Slurm is not installed (no ${missing.join(', ')}): apt-get install slurm-wlm munge`;
  if (process.getuid?.() !== 0) return 'slurmd must run as root to start jobs, and this test is not root';
  return undefined;
}

export interface SlurmCluster {
  /** Environment that points Slurm's commands at this cluster. */
  env: { SLURM_CONF: string };
  /** squeue's view of jobs named `name`: `id|state` lines. */
  jobs(name?: string): string[];
  slurm(command: string, args: string[]): string;
  /** The end of slurmctld's and slurmd's logs, for a failing test's message. */
  logs(): Promise<string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sbin = (name: string) => (spawnSync('sh', ['-c', `command -v ${name}`]).stdout.toString().trim() || `/usr/sbin/${name}`);

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = await tempDir('tempa-slurm-');
  const munge = path.join(dir, 'munge');
  await mkdir(munge, { recursive: true });
  await chmod(munge, 0o711); // munged wants its socket folder reachable, and its key readable by itself only
  await writeFile(path.join(munge, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const socket = path.join(munge, 'munge.sock');
  execFileSync(sbin('munged'), ['--force', `--socket=${socket}`, `--key-file=${path.join(munge, 'munge.key')}`, `--pid-file=${path.join(munge, 'munged.pid')}`, `--log-file=${path.join(munge, 'munged.log')}`, `--seed-file=${path.join(munge, 'seed')}`]);

  const node = hostname().split('.')[0]!;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slurm.conf');
  await mkdir(path.join(dir, 'state'));
  await mkdir(path.join(dir, 'spool'));
  // CPUs above the machine's (config_overrides) so independent stages get concurrent jobs on a 2-core runner;
  // no cgroups (proctrack/pgid, task/none), which containers and CI machines often lack; no accounting daemon.
  await writeFile(
    conf,
    `ClusterName=tempatest
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${socket}
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldPort=${ctldPort}
SlurmdPort=${slurmdPort}
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
MinJobAge=600
NodeName=${node} NodeAddr=127.0.0.1 CPUs=8 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { SLURM_CONF: conf };
  const slurm = (command: string, args: string[]) => execFileSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  const pids: string[] = [path.join(dir, 'slurmd.pid'), path.join(dir, 'slurmctld.pid'), path.join(munge, 'munged.pid')];
  const close = async () => {
    spawnSync('scancel', ['--full', '--user=root'], { env: { ...process.env, ...env } });
    for (const file of pids) {
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (!pid) continue;
      spawnSync('kill', [String(pid)]);
      // Gone before the temp folder is removed: a daemon still saving its state there would refuse that.
      for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++) await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    slurm(sbin('slurmctld'), ['-f', conf]);
    slurm(sbin('slurmd'), ['-f', conf]);
    const start = Date.now();
    while (!/idle/.test(spawnSync('sinfo', ['--noheader', '--format=%T'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout ?? '')) {
      if (Date.now() - start > 20_000) throw new Error(`the test cluster did not come up: ${(await readFile(path.join(dir, 'slurmctld.log'), 'utf8').catch(() => '')).slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    env,
    slurm,
    jobs: (name) => slurm('squeue', ['--noheader', '--states=all', '--format=%i|%T', ...(name ? [`--name=${name}`] : [])]).split('\n').filter(Boolean),
    logs: async () => (await Promise.all(['slurmctld.log', 'slurmd.log'].map(async (f) => `${f}:\n${(await readFile(path.join(dir, f), 'utf8').catch(() => '')).split('\n').slice(-40).join('\n')}`))).join('\n'),
    close,
  };
}
