// A seeded pseudo-random number generator, so generated weights are the same bytes on every run
// and every machine. Math.random cannot be seeded; mulberry32 (public domain, by Tommy Ettinger) is
// tiny, uses only 32-bit integer operations (exact in JavaScript) and is plenty for test weights.

/** Returns a function that yields the next uint32 of the sequence for `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * `count` values uniform in [-scale, scale), from integer arithmetic and one multiplication each
 * (no transcendental functions, whose last bits may differ between JavaScript engines).
 */
export function uniformFloats(next: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (next() / 0x8000_0000 - 1) * scale;
  return out;
}
