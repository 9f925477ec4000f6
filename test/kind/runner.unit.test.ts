// The demo's command runners with real processes (node itself as the command): output captured or
// passed through, failures as CommandError with stderr, a background command stopped, and the dry
// run printing what a shell could run.
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../kind/demo/errors.js';
import { DryRunRunner, formatCommand, ProcessRunner } from '../../kind/demo/runner.js';

const node = (script: string) => ({ cmd: process.execPath, args: ['-e', script] });

describe('ProcessRunner', () => {
  const runner = new ProcessRunner(process.cwd(), () => undefined);

  it('captures stdout, with extra environment', async () => {
    await expect(
      runner.capture(node('console.log(process.env.DEMO_X + "\\n")'), { env: { DEMO_X: 'hello' } }),
    ).resolves.toBe('hello');
  });

  it('throws CommandError with the exit code and stderr, and tryCapture answers undefined', async () => {
    const failing = node('console.error("no such cluster"); process.exit(3)');
    const error = await runner.capture(failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/failed \(exit 3\): no such cluster$/);
    await expect(runner.tryCapture(failing)).resolves.toBeUndefined();
    await expect(runner.run({ cmd: 'kubellama-no-such-command', args: [] })).rejects.toThrow(/ENOENT/);
  });

  it('starts a background command and stops it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    server.close();
    // A stand-in for kubectl port-forward: listens until stopped.
    const background = runner.start(node(`require('node:net').createServer().listen(${port}, '127.0.0.1')`));
    const listening = async () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    const deadline = Date.now() + 10_000;
    while (!(await listening()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await listening()).toBe(true);
    await background.stop();
    expect(await listening()).toBe(false);
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe('DryRunRunner', () => {
  it('prints commands a shell can run, in-process steps as comments, and runs nothing', async () => {
    const lines: string[] = [];
    const dry = new DryRunRunner((line) => lines.push(line));
    await dry.run(
      { cmd: 'kind', args: ['load', 'image-archive', 'a b.tar'] },
      { env: { KIND_EXPERIMENTAL_PROVIDER: 'podman' } },
    );
    expect(await dry.capture({ cmd: 'kind', args: ['get', 'clusters'] }, { dryRunResult: 'x' })).toBe('x');
    expect(await dry.tryCapture({ cmd: 'kubectl', args: ['get', 'ns'] })).toBeUndefined();
    dry.start({ cmd: 'kubectl', args: ['port-forward', 'service/jaeger', '16686:16686'] });
    expect(await dry.step('POST http://127.0.0.1:8080/v1/chat/completions', async () => 'real', 'dry')).toBe(
      'dry',
    );
    expect(lines).toEqual([
      "$ KIND_EXPERIMENTAL_PROVIDER=podman kind load image-archive 'a b.tar'",
      '$ kind get clusters',
      '$ kubectl get ns',
      '$ kubectl port-forward service/jaeger 16686:16686 &',
      '# POST http://127.0.0.1:8080/v1/chat/completions',
    ]);
    expect(formatCommand({ cmd: 'kubectl', args: ["jsonpath={.a[?(@.b=='c')]}"] })).toBe(
      `$ kubectl 'jsonpath={.a[?(@.b=='\\''c'\\'')]}'`,
    );
  });
});
