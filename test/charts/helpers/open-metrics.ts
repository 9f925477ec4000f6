// Reads a collector's prometheus exporter the way an exemplar-aware scraper does: OpenMetrics text,
// where a bucket line may end with `# {trace_id="…",span_id="…"} value`.

export const OPEN_METRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar?: { readonly labels: Readonly<Record<string, string>>; readonly value: number };
}

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of (text ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1]!] = match[2]!;
  }
  return labels;
}

/** The samples of an OpenMetrics (or Prometheus text) page; comments skipped. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})? (\S+)(?: \S+)?(?: # \{(.*?)\} (\S+).*)?$/.exec(
      line,
    );
    if (!match) continue;
    samples.push({
      name: match[1]!,
      labels: labelsOf(match[2]),
      value: Number(match[3]),
      ...(match[4] !== undefined
        ? { exemplar: { labels: labelsOf(match[4]), value: Number(match[5]) } }
        : {}),
    });
  }
  return samples;
}

export async function scrapeOpenMetrics(url: string): Promise<{ contentType: string; samples: Sample[] }> {
  const response = await fetch(url, { headers: { accept: OPEN_METRICS_ACCEPT } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return {
    contentType: response.headers.get('content-type') ?? '',
    samples: parseSamples(await response.text()),
  };
}
