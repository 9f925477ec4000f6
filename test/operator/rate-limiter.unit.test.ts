// The client-side rate limit's arithmetic (on a clock the test moves): a burst goes at once, then
// one request per 1/qps, in order; idle time refills the bucket up to the burst.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../operator/kube/rate-limiter.js';

describe('TokenBucket', () => {
  it('lets a burst through, then spaces requests 1/qps apart, and refills while idle', () => {
    let now = 0;
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect([bucket.reserve(), bucket.reserve()]).toEqual([100, 200]);
    now = 50;
    // Two reservations are still ahead of it: 300 ms after the start, 250 ms from now.
    expect(bucket.reserve()).toBe(250);
    now = 10_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0, 100]);
  });

  it('is unlimited with qps 0', () => {
    const bucket = new TokenBucket({ qps: 0, burst: 1 });
    expect(Array.from({ length: 1000 }, () => bucket.reserve()).every((w) => w === 0)).toBe(true);
  });
});
