// One upstream server run by the harness: its own process group (so stopping it stops every
// child), output captured to a log file that a failing test prints, and a supervisor that stops it
// if the test process dies without cleaning up.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SUPERVISOR = join(dirname(fileURLToPath(import.meta.url)), 'supervise.sh');

export interface ServerProcessSpec {
  /** Short name used in messages and log file names. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Receives everything the server writes to stdout and stderr. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<ServerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a suite forgets stop(): nothing async can run in 'exit', so kill outright.
  process.once('exit', () => {
    for (const server of running) server.kill('SIGKILL');
  });
}

export class ServerProcess {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private exitStatus: ExitStatus | undefined;

  private constructor(spec: ServerProcessSpec) {
    this.name = spec.name;
    this.logFile = spec.logFile;
    const log = openSync(spec.logFile, 'a');
    try {
      this.child = spawn(SUPERVISOR, [String(process.pid), spec.command, ...spec.args], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', log, log],
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        running.delete(this);
        resolve(this.exitStatus);
      });
    });
    running.add(this);
    installExitHook();
  }

  static start(spec: ServerProcessSpec): ServerProcess {
    if (!existsSync(spec.command)) throw new Error(`${spec.name}: ${spec.command} does not exist`);
    return new ServerProcess(spec);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Throws (with the log's tail) if the server has exited: used to stop waiting for readiness early. */
  assertRunning(): void {
    if (this.exitStatus) {
      const how = this.exitStatus.signal ?? `code ${this.exitStatus.code}`;
      throw new Error(
        `${this.name} exited (${how}) before it was ready; log ${this.logFile}:\n${this.logTail()}`,
      );
    }
  }

  /** Sends a signal to the whole process group. */
  kill(signal: NodeJS.Signals): void {
    if (!this.exitStatus) this.signalGroup(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once every process of the group is gone. */
  async stop(graceMs = 5_000): Promise<ExitStatus> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    let status: ExitStatus;
    try {
      status = await this.exited;
    } finally {
      clearTimeout(timer);
    }
    // The supervisor is gone; anything left in its group is a straggler (or a zombie being reaped).
    for (let attempt = 0; attempt < 100 && this.groupAlive(); attempt++) {
      this.signalGroup('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return status;
  }

  private groupAlive(): boolean {
    return this.signalGroup(0);
  }

  private signalGroup(signal: NodeJS.Signals | 0): boolean {
    if (this.pid < 0) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** The last lines the server logged. */
  logTail(lines = 60): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}
