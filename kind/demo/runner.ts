// Every command the demo runs goes through a Runner: the real one spawns (output on the terminal
// where a person should see it), the dry-run one prints each command as `$ …` and each in-process
// step as `# …` and runs nothing. The demo's logic is the same code path in both.
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../../images/build-images.js';
import { CommandError } from './errors.js';

export interface RunOptions {
  /** Extra environment variables (shown in front of the command in a dry run). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CaptureOptions extends RunOptions {
  /** What a dry run answers instead of the command's output. @default '' */
  readonly dryRunResult?: string;
}

/** A command that runs until stopped (kubectl port-forward). */
export interface Background {
  stop(): Promise<void>;
}

export interface Runner {
  /** Runs a command to completion, its output on the terminal; a failure throws CommandError. */
  run(command: Command, options?: RunOptions): Promise<void>;
  /** Runs a command quietly and answers its stdout (trimmed); a failure throws CommandError. */
  capture(command: Command, options?: CaptureOptions): Promise<string>;
  /** As capture, but a failure answers undefined (a dry run answers dryRunResult, default undefined). */
  tryCapture(
    command: Command,
    options?: RunOptions & { readonly dryRunResult?: string },
  ): Promise<string | undefined>;
  /** Starts a long-running command; it fails the demo if it exits before stop(). */
  start(command: Command, options?: RunOptions): Background;
  /** An in-process step (an HTTP request, a wait): run for real, or printed as `# description`. */
  step<T>(description: string, action: () => Promise<T>, dryRunResult: T): Promise<T>;
  /** A line for the person watching: what happens now, or how far it got. */
  progress(line: string): void;
  /** Waits between polls (a dry run does not wait). */
  pause(ms: number): Promise<void>;
}

/** `$ A=b cmd arg 'arg with spaces'`: what a person could paste into a shell. */
export function formatCommand(command: Command, options: RunOptions = {}): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  return ['$', ...env, command.cmd, ...command.args.map(quote)].join(' ');
}

export class DryRunRunner implements Runner {
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  async run(command: Command, options?: RunOptions): Promise<void> {
    this.write(formatCommand(command, options));
  }

  async capture(command: Command, options: CaptureOptions = {}): Promise<string> {
    this.write(formatCommand(command, options));
    return options.dryRunResult ?? '';
  }

  async tryCapture(command: Command, options: CaptureOptions = {}): Promise<string | undefined> {
    this.write(formatCommand(command, options));
    return options.dryRunResult;
  }

  start(command: Command, options?: RunOptions): Background {
    this.write(`${formatCommand(command, options)} &`);
    return { stop: async () => undefined };
  }

  async step<T>(description: string, _action: () => Promise<T>, dryRunResult: T): Promise<T> {
    this.write(`# ${description}`);
    return dryRunResult;
  }

  progress(line: string): void {
    this.write(line);
  }

  async pause(): Promise<void> {}
}

/** Spawns for real, in `cwd` (the repository root: commands name paths relative to it). */
export class ProcessRunner implements Runner {
  constructor(
    private readonly cwd: string,
    private readonly write: (line: string) => void = (line) => console.log(line),
  ) {}

  run(command: Command, options?: RunOptions): Promise<void> {
    const child = this.spawn(command, options, 'inherit');
    return this.finished(child, command, () => '').then(() => undefined);
  }

  async capture(command: Command, options?: CaptureOptions): Promise<string> {
    const child = this.spawn(command, options, 'pipe');
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    await this.finished(child, command, () => stderr);
    return stdout.trim();
  }

  async tryCapture(command: Command, options?: RunOptions): Promise<string | undefined> {
    try {
      return await this.capture(command, options);
    } catch (error) {
      if (error instanceof CommandError) return undefined;
      throw error;
    }
  }

  start(command: Command, options?: RunOptions): Background {
    const child = this.spawn(command, options, 'pipe');
    let output = '';
    const keep = (chunk: string) => {
      output = (output + chunk).slice(-2000);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    let stopping = false;
    child.on('exit', (code) => {
      if (stopping) return;
      console.error(`${formatCommand(command)} exited (${code ?? 'signal'}):\n${output.trim()}`);
      process.exitCode = 1;
    });
    return {
      stop: async () => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  step<T>(_description: string, action: () => Promise<T>): Promise<T> {
    return action();
  }

  progress(line: string): void {
    this.write(line);
  }

  async pause(ms: number): Promise<void> {
    await sleep(ms);
  }

  private spawn(command: Command, options: RunOptions = {}, stdio: 'inherit' | 'pipe'): ChildProcess {
    return spawn(command.cmd, [...command.args], {
      cwd: this.cwd,
      env: { ...process.env, ...options.env },
      stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
  }

  private finished(child: ChildProcess, command: Command, stderr: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      child.once('error', (error) => reject(new CommandError(command, undefined, error.message)));
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new CommandError(command, code ?? undefined, stderr().trim() || `killed by ${signal}`));
      });
    });
  }
}
