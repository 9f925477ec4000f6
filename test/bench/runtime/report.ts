// The benchmark's tables (markdown, pasted into runtime/README.md as they are) and the ratios the
// budgets of issue 10 are stated in.
import type { Mode, Results } from './runtime-bench.js';

const f = (n: number, digits = 1) => n.toFixed(digits);

export function table(results: Results, concurrencies: readonly number[]): string {
  const rows = concurrencies.flatMap((c) =>
    Object.entries(results).map(([mode, byC]) => {
      const s = byC[c]!;
      return `| ${c} | ${mode} | ${f(s.aggregateTps)} | ${f(s.perStreamTps)} | ${f(s.ttftP50Ms, 0)} | ${f(s.ttftP95Ms, 0)} |`;
    }),
  );
  return [
    '| c | mode | aggregate tok/s | per-stream tok/s | TTFT p50 ms | TTFT p95 ms |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function ratio(results: Results, a: Mode, b: Mode, c: number, key: 'aggregateTps' | 'ttftP50Ms') {
  const x = results[a]?.[c]?.[key];
  const y = results[b]?.[c]?.[key];
  return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
}

export function ratioLines(results: Results, concurrencies: readonly number[]): string[] {
  const line = (label: string, a: Mode, b: Mode, key: 'aggregateTps' | 'ttftP50Ms' = 'aggregateTps') => {
    const values = concurrencies.map((c) => ratio(results, a, b, c, key));
    if (values.every((v) => v === undefined)) return [];
    return [
      `${label}: ${values.map((v, i) => `c=${concurrencies[i]} ${v === undefined ? '–' : f(v, 2)}`).join(', ')}`,
    ];
  };
  return [
    ...line('aggregate off / llama-server (budget ≥0.97 at c=1, ≥0.95 at c=4)', 'off', 'llama-server'),
    ...line('TTFT p50 off / llama-server (budget ≤1.00 at c=4)', 'off', 'llama-server', 'ttftP50Ms'),
    ...line('aggregate off / raw node-llama-cpp loop', 'off', 'raw'),
    ...line('aggregate request / off', 'request', 'off'),
    ...line('aggregate token / off', 'token', 'off'),
  ];
}
