// The sequence pool: first come, first served; bounded queue; abort and dispose release waiters.
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../runtime/engine/errors/aborted-error.js';
import { DisposedError } from '../../runtime/engine/errors/disposed-error.js';
import { QueueFullError } from '../../runtime/engine/errors/queue-full-error.js';
import { SequencePool } from '../../runtime/engine/sequence-pool.js';

describe('SequencePool', () => {
  it('hands out free items at once and counts them', async () => {
    const pool = new SequencePool(['a', 'b'], 1);
    const items = [await pool.acquire(), await pool.acquire()];
    expect(items.sort()).toEqual(['a', 'b']);
    expect(pool.inUse).toBe(2);
  });

  it('serves waiters in FIFO order', async () => {
    const pool = new SequencePool(['a'], 3);
    const first = await pool.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      pool.acquire().then((item) => {
        order.push(n);
        pool.release(item);
      }),
    );
    expect(pool.waiting).toBe(3);
    pool.release(first);
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(pool.inUse).toBe(0);
  });

  it('refuses beyond the queue with QueueFullError', async () => {
    const pool = new SequencePool(['a'], 1);
    await pool.acquire();
    void pool.acquire();
    await expect(pool.acquire()).rejects.toBeInstanceOf(QueueFullError);
    const zero = new SequencePool(['a'], 0);
    await zero.acquire();
    await expect(zero.acquire()).rejects.toThrow(/0 requests are already waiting/);
  });

  it('drops an aborted waiter from the queue', async () => {
    const pool = new SequencePool(['a'], 2);
    const held = await pool.acquire();
    const abort = new AbortController();
    const aborted = pool.acquire(abort.signal);
    const next = pool.acquire();
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(pool.waiting).toBe(1);
    pool.release(held);
    expect(await next).toBe('a');
    await expect(pool.acquire(AbortSignal.abort())).rejects.toBeInstanceOf(AbortedError);
  });

  it('rejects waiters and later callers once disposed', async () => {
    const pool = new SequencePool(['a'], 1);
    await pool.acquire();
    const waiting = pool.acquire();
    pool.dispose();
    pool.dispose();
    await expect(waiting).rejects.toBeInstanceOf(DisposedError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(DisposedError);
  });

  it('lets the caller pick among the free items, least recently used first', async () => {
    const pool = new SequencePool(['a', 'b', 'c'], 1);
    const seen: string[][] = [];
    const picked = await pool.acquire(undefined, (free) => {
      seen.push([...free]);
      return free.indexOf('b');
    });
    expect(picked).toBe('b');
    expect(seen).toEqual([['a', 'b', 'c']]);
    pool.release(picked);
    expect(await pool.acquire(undefined, (free) => (free[0] === 'a' ? 0 : -1))).toBe('a');
    // An index out of range falls back to the most recently used.
    expect(await pool.acquire(undefined, () => 99)).toBe('b');
  });

  it('refuses a bad size or queue', () => {
    expect(() => new SequencePool([], 1)).toThrow(/at least one/);
    expect(() => new SequencePool(['a'], -1)).toThrow(/maxQueue/);
  });
});
