// One local cluster per host: the kubelet and containerd own host-wide things (the `kubepods`
// cgroups, kernel settings) and the node's namespace and addresses are fixed. The lock file also
// records what the host looked like before, so a later start can undo a crashed run.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';

/**
 * How long a suite that needs the local cluster waits for another suite's to go: the e2e, the
 * local-cluster suite and the reliability suites (up to ~8 min each) share one slot per host and
 * `npm test` runs two files at a time.
 */
export const CLUSTER_LOCK_WAIT_MS = 20 * 60_000;

export const LOCK_FILE = '/run/kubellama-local-cluster.lock';

export interface LockRecord {
  readonly pid: number;
  readonly workDir: string;
  readonly startedAt: string;
  /** Host sysctls before the start (see HOST_SYSCTLS). */
  readonly sysctls: Record<string, string>;
  /** Which of HOST_PATHS existed before the start. */
  readonly paths: string[];
  /** Whether /run/netns existed and was a mount point before (`ip netns add` makes both). */
  readonly runNetnsExisted: boolean;
  readonly runNetnsMounted: boolean;
}

/** Thrown when a live process holds the lock. */
export class LockHeldError extends Error {
  constructor(readonly holder: LockRecord) {
    const who = holder.pid === process.pid ? 'this process' : `PID ${holder.pid}`;
    super(
      `a local cluster is already running on this host, held by ${who} since ${holder.startedAt} ` +
        `(work folder ${holder.workDir}, lock ${LOCK_FILE}); stop it first — one cluster per host`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(): LockRecord | undefined {
  if (!existsSync(LOCK_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock for this process. Throws, naming the holder, if a live process holds it; returns
 * the record of a dead holder (whose leftovers the caller cleans up) or undefined.
 */
export function acquireLock(record: LockRecord): LockRecord | undefined {
  let stale: LockRecord | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK_FILE, 'wx', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
      } finally {
        closeSync(fd);
      }
      return stale;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock();
    if (holder && alive(holder.pid)) throw new LockHeldError(holder);
    stale = holder;
    rmSync(LOCK_FILE, { force: true });
  }
  throw new Error(`could not take ${LOCK_FILE}`);
}

/** Rewrites the record (same holder), e.g. once the work folder is known. */
export function updateLock(record: LockRecord): void {
  writeFileSync(LOCK_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

export function releaseLock(): void {
  const holder = readLock();
  if (!holder || holder.pid === process.pid) rmSync(LOCK_FILE, { force: true });
}
