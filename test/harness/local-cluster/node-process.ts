// A server process of the local cluster, run inside the node's network namespace with
// `nsenter --net` (it execs the binary, so the supervisor's process group still holds it).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServerProcess } from '../server-process.js';
import { waitFor } from '../wait.js';
import { httpStatusInNodeNetns, inNodeNetns } from './network.js';

export interface NodeProcessSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logDir: string;
  readonly env?: Readonly<Record<string, string>>;
}

export function startNodeProcess(spec: NodeProcessSpec): ServerProcess {
  if (!existsSync(spec.binary)) throw new Error(`${spec.name}: ${spec.binary} does not exist`);
  const [nsenter, args] = inNodeNetns(spec.binary, spec.args);
  const command = ['/usr/bin/nsenter', '/bin/nsenter'].find(existsSync) ?? nsenter;
  return ServerProcess.start({
    name: spec.name,
    command,
    args,
    logFile: join(spec.logDir, `${spec.name}.log`),
    ...(spec.env ? { env: spec.env } : {}),
  });
}

/** Waits until a GET made inside the node's namespace answers 200; fails with the log's tail. */
export async function waitHealthyInNodeNetns(
  process: ServerProcess,
  url: string,
  timeoutMs = 60_000,
): Promise<void> {
  try {
    await waitFor(async () => (await httpStatusInNodeNetns(url)) === 200, {
      description: `${process.name} at ${url} (inside the node's network namespace)`,
      timeoutMs,
      intervalMs: 200,
      abortIf: () => process.assertRunning(),
    });
  } catch (error) {
    throw withLogTail(error, process);
  }
}

/** The error, with the process's log tail appended unless it already carries it. */
export function withLogTail(error: unknown, process: ServerProcess): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes(process.logFile)) return error instanceof Error ? error : new Error(message);
  return new Error(`${message}\n--- ${process.name} log ${process.logFile} (tail):\n${process.logTail(40)}`);
}
