/**
 * Ending a process group that a task started in an earlier process (one that crashed or was
 * killed), from what was recorded at the spawn: leader pid, group id and leader start time. The
 * group may have outlived its owner; before the task runs again it must be gone, or two attempts
 * would run at once. The danger is the opposite mistake: signalling a group that is not ours any
 * more because the numbers were reused, so the leader's identity is checked first.
 */
import { type ProcessIdentity, readProcStat } from './identity.js'
import { groupExists, signalGroup, terminateTree } from './process-tree.js'

/** A process group as a backend reported it (`{ type: 'process', pid, pgid, startTime }`). */
export interface RecordedGroup extends ProcessIdentity {
  pgid: number
}

/**
 * - `gone`: nothing of the group runs.
 * - `ended`: it was running and now it is gone (SIGTERM, then SIGKILL after the grace).
 * - `not_ours`: the leader's pid now belongs to another process (start time differs): left alone.
 * - `unverified`: the leader runs but no start time was recorded to prove it is ours: left alone.
 * - `still_running`: it would not die (e.g. another user's process, or in uninterruptible sleep).
 */
export type EndGroupOutcome = 'gone' | 'ended' | 'not_ours' | 'unverified' | 'still_running'

/** Whether the group recorded for an earlier attempt still has a live member that is ours. */
export function recordedGroupState(group: RecordedGroup): 'gone' | 'ours' | 'not_ours' | 'unverified' {
  // Without /proc nothing proves that a live group with this id is still the recorded one.
  if (process.platform !== 'linux') return groupExists(group.pgid) ? 'unverified' : 'gone'
  const leader = readProcStat(group.pid)
  if (leader && leader.state !== 'Z' && leader.state !== 'X') {
    if (group.startTime === undefined) return groupExists(group.pgid) ? 'unverified' : 'gone'
    if (leader.startTime !== group.startTime) return 'not_ours'
  } else if (leader && group.startTime !== undefined && leader.startTime !== group.startTime) {
    // A zombie that is another process: the numbers were reused.
    return 'not_ours'
  }
  // The leader is ours (or a zombie of ours, or already reaped). A group id is not handed out again
  // while any member of that group lives, so live members with this pgid are what is left of it.
  return groupExists(group.pgid) ? 'ours' : 'gone'
}

/**
 * Ends a recorded group if it is still ours: SIGTERM (+ SIGCONT for a stopped group), SIGKILL
 * after `graceMs`, then waits up to `killWaitMs` for the kernel to take the members away. While
 * the leader lives, processes below it that left the group (setsid) are ended too. Only for a
 * group on this host (compare the recorded host first).
 */
export async function endRecordedGroup(
  group: RecordedGroup,
  options: { graceMs?: number; killWaitMs?: number } = {},
): Promise<EndGroupOutcome> {
  const state = recordedGroupState(group)
  if (state !== 'ours') return state
  // The tree, not only the group: an agent CLI starts tools in sessions of their own (setsid),
  // found below the leader while it lives.
  await terminateTree(group.pgid, options.graceMs ?? 2000)
  const deadline = Date.now() + (options.killWaitMs ?? 5000)
  while (groupExists(group.pgid)) {
    if (Date.now() > deadline) return 'still_running'
    signalGroup(group.pgid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 20))
  }
  return 'ended'
}
