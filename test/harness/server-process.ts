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
    if (this.exitStatus || this.pid < 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process group has exited. */
  async stop(graceMs = 5_000): Promise<ExitStatus> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines the server logged. */
  logTail(lines = 60): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}
