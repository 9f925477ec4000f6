// The samples of a Prometheus text exposition (format 0.0.4, what the runtime's /metrics serves):
// `name{label="value",…} number [timestamp]` per line, comments and blank lines skipped. Hand-written
// because the one parser package on npm merges a histogram's label sets into one (found by
// test/operator/performance-window.unit.test.ts); this reads each line on its own and sums nothing.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

function labelValue(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function number(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Every sample line; a line that does not parse is skipped (one bad series must not hide the rest). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    let ok = true;
    while (LABEL.lastIndex < body.length) {
      const label = LABEL.exec(body);
      if (!label) {
        ok = body.slice(LABEL.lastIndex).trim() === '';
        break;
      }
      labels[label[1]!] = labelValue(label[2]!);
    }
    const value = number(match[3]!);
    if (ok && !Number.isNaN(value)) samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}
