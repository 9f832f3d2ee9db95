// Whether a process group still has live members, for tests that kill tempa and check that its
// children went with it.
import { execFileSync } from 'node:child_process';

/** True while group `pgid` has a member that is not a zombie (a zombie has ended; it only awaits reaping). */
export function groupAlive(pgid: number): boolean {
  return execFileSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .some(([group, stat]) => Number(group) === pgid && !stat!.startsWith('Z'));
}
