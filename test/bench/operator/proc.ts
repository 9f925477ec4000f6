// Resource use of local processes from /proc: resident memory of one process, and CPU seconds of a
// whole process group (the harness runs each server under a supervisor in its own group).
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface Rss {
  /** Resident set now (MiB). */
  readonly rss: number;
  /** The high-water mark of the resident set (MiB). */
  readonly peak: number;
}

export function rssMiB(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function stat(pid: string): { pgid: number; cpuSeconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) start at the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // state ppid pgrp … utime(14) stime(15), numbered from the state as field 3.
    return {
      pgid: Number(fields[2]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

/** The live processes of process group `pgid`, each with its CPU seconds. */
function group(pgid: number): Array<{ pid: number; cpuSeconds: number }> {
  const members = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const s = stat(pid);
    if (s?.pgid === pgid) members.push({ pid: Number(pid), cpuSeconds: s.cpuSeconds });
  }
  return members;
}

/** User + system CPU seconds of every live process in process group `pgid`. */
export function groupCpuSeconds(pgid: number): number {
  return group(pgid).reduce((total, member) => total + member.cpuSeconds, 0);
}

/** Resident MiB of the biggest process in group `pgid`: the server, not its supervisor shell. */
export function groupRssMiB(pgid: number): number {
  let largest = 0;
  for (const { pid } of group(pgid)) {
    try {
      largest = Math.max(largest, rssMiB(pid).rss);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return largest;
}

export function cpuSeconds(pid: number): number {
  return stat(String(pid))?.cpuSeconds ?? 0;
}
