// One kubellama-operator process for the benchmark: the bundle built exactly as the image builds it
// (images/bundle.ts options), or the TypeScript source under tsx for comparison. Its JSON log lines
// (stderr; stdout too, where an older operator wrote them) are kept, so the benchmark can wait for
// one and read the health port from another.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../../../images/bundle.js';
import { waitFor } from '../../harness/index.js';

export type Runtime = 'compiled' | 'tsx';

/** Bundles `<source>/operator/main.ts` into `outDir`; answers the bundle's path. */
export async function bundleOperator(source: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'kubellama-operator.mjs');
  await build({
    ...BUNDLE_OPTIONS,
    external: [...BUNDLE_OPTIONS.external],
    entryPoints: [join(source, 'operator/main.ts')],
    outfile,
  });
  return outfile;
}

export interface LogEntry {
  readonly msg: string;
  readonly [key: string]: unknown;
}

export class OperatorProcess {
  readonly child: ChildProcess;
  readonly logs: LogEntry[] = [];
  private readonly exited: Promise<void>;

  constructor(command: string[], cwd: string) {
    this.child = spawn(process.execPath, command, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (!line.startsWith('{')) {
          process.stderr.write(`operator: ${line}\n`);
          return;
        }
        const entry = JSON.parse(line) as LogEntry;
        this.logs.push(entry);
        if (entry.level === 'error' || entry.level === 'warn') process.stderr.write(`operator: ${line}\n`);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  waitForLog(msg: string, timeoutMs = 120_000): Promise<LogEntry> {
    return waitFor(async () => this.logs.find((e) => e.msg === msg), {
      description: `the operator to log "${msg}"`,
      timeoutMs,
      abortIf: () => {
        if (this.child.exitCode !== null) throw new Error(`the operator exited (${this.child.exitCode})`);
      },
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
  }
}
