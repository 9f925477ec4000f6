// Work queue and reconcile loop semantics (pure: no server needed).
import { describe, expect, it } from 'vitest';
import { Controller, type Outcome, type Request } from '../../operator/kube/controller.js';
import { TerminalError } from '../../operator/kube/errors.js';
import { WorkQueue } from '../../operator/kube/work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

describe('WorkQueue', () => {
  it('collapses duplicate keys while they wait', async () => {
    const q = new WorkQueue();
    for (const key of ['a', 'b', 'a', 'a', 'c', 'b']) q.add(key);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
  });

  it('never hands out a key that is being processed; a re-add during processing comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    q.add('b');
    expect(await q.get()).toBe('b');
    q.done(first!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off per key exponentially, capped, and forget resets it', () => {
    const q = new WorkQueue({ baseDelayMs: 5, maxDelayMs: 100 });
    expect([0, 1, 2, 3, 4, 5].map((n) => q.backoffFor(n))).toEqual([5, 10, 20, 40, 80, 100]);
    q.addRateLimited('a');
    q.addRateLimited('a');
    q.addRateLimited('b');
    expect(q.retries('a')).toBe(2);
    expect(q.retries('b')).toBe(1);
    q.forget('a');
    expect(q.retries('a')).toBe(0);
    q.shutDown();
  });

  it('delivers a delayed key after its delay, and an earlier addAfter wins', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 10_000);
    q.addAfter('a', 20);
    expect(q.length).toBe(0);
    const started = Date.now();
    expect(await q.get()).toBe('a');
    expect(Date.now() - started).toBeLessThan(5_000);
    q.shutDown();
  });

  it('wakes waiting workers with undefined on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(await q.get()).toBeUndefined();
  });
});

describe('Controller loop', () => {
  it('bounds concurrency and never runs one key twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const perKey = new Map<string, number>();
    let overlap = false;
    let done = 0;
    const controller = new Controller(
      {
        async reconcile(request: Request) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          const n = (perKey.get(request.name) ?? 0) + 1;
          perKey.set(request.name, n);
          if (n > 1) overlap = true;
          await sleep(5);
          perKey.set(request.name, n - 1);
          running--;
          done++;
          return undefined;
        },
      },
      { concurrency: 3 },
    );
    controller.start();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) controller.enqueue({ namespace: 'ns', name: `m${i}` });
      await sleep(3);
    }
    await until(() => controller.queue.length === 0 && controller.queue.inFlight === 0);
    await controller.stop();
    expect(maxRunning).toBe(3);
    expect(overlap).toBe(false);
    expect(done).toBeGreaterThanOrEqual(10);
  });

  it('retries errors with backoff until success, and does not retry a TerminalError', async () => {
    const outcomes: Array<[string, Outcome]> = [];
    let flakyCalls = 0;
    let terminalCalls = 0;
    const controller = new Controller(
      {
        async reconcile(request: Request) {
          if (request.name === 'flaky') {
            flakyCalls++;
            if (flakyCalls < 4) throw new Error('transient');
          } else {
            terminalCalls++;
            throw new TerminalError('spec cannot work');
          }
          return undefined;
        },
      },
      { backoff: { baseDelayMs: 1 }, observe: (e) => outcomes.push([e.request.name, e.outcome]) },
    );
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'flaky' });
    controller.enqueue({ namespace: 'ns', name: 'terminal' });
    await until(() => outcomes.filter(([n]) => n === 'flaky').length === 4);
    await sleep(30);
    await controller.stop();
    expect(outcomes.filter(([n]) => n === 'flaky').map(([, o]) => o)).toEqual([
      'error',
      'error',
      'error',
      'success',
    ]);
    expect(terminalCalls).toBe(1);
    expect(outcomes).toContainEqual(['terminal', 'terminal_error']);
  });

  it('requeues after the requested delay', async () => {
    let calls = 0;
    const controller = new Controller({
      async reconcile() {
        calls++;
        return calls < 3 ? { requeueAfterMs: 10 } : undefined;
      },
    });
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'a' });
    await until(() => calls === 3);
    await controller.stop();
    expect(calls).toBe(3);
  });

  it('stops gracefully: a reconcile in flight finishes, queued keys are dropped', async () => {
    const finished: string[] = [];
    const controller = new Controller(
      {
        async reconcile(request: Request) {
          await sleep(50);
          finished.push(request.name);
          return undefined;
        },
      },
      { concurrency: 1 },
    );
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'first' });
    controller.enqueue({ namespace: 'ns', name: 'second' });
    await sleep(10);
    await controller.stop();
    expect(finished).toEqual(['first']);
  });

  it("aborts a reconcile's signal at the timeout and retries it", async () => {
    const outcomes: Outcome[] = [];
    let calls = 0;
    const controller = new Controller(
      {
        reconcile(_request, signal) {
          calls++;
          if (calls > 1) return Promise.resolve(undefined);
          return new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        },
      },
      { timeoutMs: 20, backoff: { baseDelayMs: 1 }, observe: (e) => outcomes.push(e.outcome) },
    );
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'slow' });
    await until(() => outcomes.length === 2);
    await controller.stop();
    expect(outcomes).toEqual(['error', 'success']);
  });
});
