// Prometheus text format, read into samples, and sums over the samples that match labels: enough to
// diff the API server's and the operator's counters before and after a phase of the benchmark.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of `name` over samples whose labels match every entry of `where` (a value, or a test). */
export function sum(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string | ((value: string) => boolean)> = {},
): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    const ok = Object.entries(where).every(([k, test]) =>
      typeof test === 'string' ? s.labels[k] === test : test(s.labels[k] ?? ''),
    );
    if (ok) total += s.value;
  }
  return total;
}

/** Sums of `name` grouped by a label-derived key, e.g. verb + resource. */
export function groupBy(
  samples: readonly Sample[],
  name: string,
  key: (labels: Readonly<Record<string, string>>) => string | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = key(s.labels);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** after − before, per key, dropping keys that did not grow. */
export function delta(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = Math.round(d * 1000) / 1000;
  }
  return out;
}
