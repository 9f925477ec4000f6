// The client-side rate limit of API requests: a token bucket (client-go's flowcontrol.NewTokenBucket
// RateLimiter): `burst` requests at once, then `qps` per second. Callers reserve a token and wait
// for its time, so waiters are served in order. qps ≤ 0 turns the limit off.

export interface RateLimit {
  /** Sustained requests per second; 0 or less: unlimited. */
  readonly qps: number;
  /** Requests allowed at once after an idle spell. */
  readonly burst: number;
}

export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private readonly now: () => number;
  private last: number;

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    this.qps = limit.qps;
    this.burst = Math.max(1, limit.burst);
    this.tokens = this.burst;
    this.now = now;
    this.last = now();
  }

  /** Milliseconds the caller must wait before its request (0: go now); the token is taken. */
  reserve(): number {
    if (this.qps <= 0) return 0;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  /** Waits for a token; resolves with the milliseconds waited. */
  async take(): Promise<number> {
    const waitMs = this.reserve();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    return waitMs;
  }
}
