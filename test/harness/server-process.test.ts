// The harness's process handling: logs captured, process groups stopped, and no server outliving
// a test process that dies without cleaning up (the supervisor's job).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerProcess } from './server-process.js';
import { waitFor } from './wait.js';

const dir = mkdtempSync(join(tmpdir(), 'kubellama-server-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ServerProcess', () => {
  it('captures output to its log file and reports an early exit with the log tail', async () => {
    const server = ServerProcess.start({
      name: 'fails-fast',
      command: '/bin/sh',
      args: ['-c', 'echo "listening on nothing"; echo "fatal: port taken" >&2; exit 3'],
      logFile: join(dir, 'fails-fast.log'),
    });
    expect(await server.exited).toEqual({ code: 3, signal: null });
    expect(() => server.assertRunning()).toThrow(/fails-fast exited \(code 3\)[\s\S]*fatal: port taken/);
    expect(readFileSync(server.logFile, 'utf8')).toContain('listening on nothing');
  });

  it('stops the whole process group, grandchildren included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const server = ServerProcess.start({
      name: 'forks',
      command: '/bin/sh',
      args: ['-c', `sleep 300 & echo $! > ${pidFile}; wait`],
      logFile: join(dir, 'forks.log'),
    });
    const grandchild = await waitFor(async () => Number(readFileSync(pidFile, 'utf8')) || undefined, {
      description: 'the grandchild pid',
    });
    expect(isAlive(grandchild)).toBe(true);
    await server.stop();
    await waitFor(async () => !isAlive(grandchild), {
      description: 'the grandchild to exit',
      timeoutMs: 10_000,
    });
  });

  it('escalates to SIGKILL when a server ignores SIGTERM', async () => {
    const server = ServerProcess.start({
      name: 'stubborn',
      command: '/bin/sh',
      args: ['-c', "trap '' TERM; sleep 300 & wait; sleep 300"],
      logFile: join(dir, 'stubborn.log'),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const status = await server.stop(500);
    expect(status.signal ?? status.code).toBeTruthy();
    expect(() => process.kill(-server.pid, 0)).toThrow(/ESRCH/);
  });

  it('stops a server whose owning test process was SIGKILLed', async () => {
    const pidFile = join(dir, 'orphan.pid');
    // A separate Node process plays the test worker: it starts a server, then is killed outright.
    const owner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import { ServerProcess } from ${JSON.stringify(join(import.meta.dirname, 'server-process.ts'))};
         import { writeFileSync } from 'node:fs';
         const s = ServerProcess.start({ name: 'orphan', command: '/bin/sleep', args: ['300'], logFile: ${JSON.stringify(join(dir, 'orphan.log'))} });
         writeFileSync(${JSON.stringify(pidFile)}, String(s.pid));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: 'inherit' },
    );
    const serverGroup = await waitFor(async () => Number(readFileSync(pidFile, 'utf8')) || undefined, {
      description: 'the orphan server pid',
      timeoutMs: 20_000,
    });
    expect(isAlive(serverGroup)).toBe(true);
    owner.kill('SIGKILL');
    await waitFor(
      async () => {
        try {
          process.kill(-serverGroup, 0);
          return false;
        } catch {
          return true;
        }
      },
      { description: 'the supervisor to stop the orphaned server', timeoutMs: 15_000 },
    );
  });
});
