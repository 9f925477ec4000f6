// Soak on a real node (issue 15, item 1): N minutes (KUBELLAMA_SOAK_MINUTES; 1 in `npm test`, 10 by
// `npm run test:reliability`) of mixed traffic at the model's capacity — parallel 2 + a queue of 2,
// streamed and not, some cancelled mid-stream, bursts over capacity that must get 429 — and then:
// zero 5xx, zero dropped connections except the cancelled ones, the runtime's RSS flat after warm-up
// (the last quarter of the run within 10 % of the peak before it), the collector's memory under its
// memory_limiter, and every admitted request's trace complete in Jaeger (sampling 1.0). Prints
// requests/s, TTFT p50/p95, tokens/s and the RSS curve.
// Traffic: from the test process (the host) to the model Service's ClusterIP, through kube-proxy on
// the node — the path of a client in a Pod; the client's numbers stay in this process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { fetchJaegerTrace } from '../../lib/jaeger-trace.js';
import { SERVE_ENV } from '../../runtime/config.js';
import { parseSamples } from '../charts/helpers/open-metrics.js';
import { type ChatOptions, type ChatResult, chatCompletion, percentile } from './support/chat-traffic.js';
import {
  INSTALLED_CLUSTER_SETUP_MS,
  INSTALLED_CLUSTER_TEARDOWN_MS,
  type InstalledCluster,
  installedClusterSkipReason,
  startInstalledCluster,
} from './support/installed-cluster.js';

const skipReason = installedClusterSkipReason();
if (skipReason) console.warn(`[soak] skipped: ${skipReason}`);

const NS = 'soak';
const MODEL = 'soak';
const PARALLEL = 2;
const MAX_QUEUE = 2;
const MINUTES = Number(process.env.KUBELLAMA_SOAK_MINUTES ?? '1');
if (!(MINUTES > 0 && MINUTES <= 120))
  throw new Error(`KUBELLAMA_SOAK_MINUTES must be in (0, 120], got ${MINUTES}`);
const DURATION_MS = MINUTES * 60_000;
/** Client loops: one more than parallel + queue, so the queue is full much of the time. */
const LOOPS = PARALLEL + MAX_QUEUE + 1;
/** Every 15 s, this many at once on top: more than the capacity, so some must get 429. */
const BURST = 2 * (PARALLEL + MAX_QUEUE);
const MAX_REQUESTS = 200_000;

type Kind = 'stream' | 'plain' | 'cancelled' | 'burst';
interface Sent extends ChatResult {
  readonly kind: Kind;
}
interface Sample {
  readonly atS: number;
  readonly rssMiB: number;
  readonly collectorMiB: number;
}

function mib(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1 / 2 ** 20);
}

describe.skipIf(skipReason)(`soak: ${MINUTES} min of mixed traffic at capacity on a real node`, () => {
  let env: InstalledCluster;
  let base: string;

  beforeAll(async () => {
    env = await startInstalledCluster({ suite: 'soak' });
    await env.createTinyModel(NS, MODEL, {
      runtime: {
        parallel: PARALLEL,
        contextSize: 1024,
        env: [{ name: SERVE_ENV.maxQueue, value: String(MAX_QUEUE) }],
      },
      telemetry: { detail: 'request', samplingRatio: 1 },
    });
    await env.waitModelReady(NS, MODEL, 1);
    base = await env.serviceUrl(NS, MODEL, RUNTIME_PORT);
  }, INSTALLED_CLUSTER_SETUP_MS);

  afterAll(async () => {
    await env?.stop();
  }, INSTALLED_CLUSTER_TEARDOWN_MS);

  it(
    'serves at capacity with no 5xx, no dropped connection, flat memory and every trace in Jaeger',
    async () => {
      const collector = env.systemDeployments.find((d) => d.includes('collector'))!;
      const collectorDeployment = await env.cluster.apiGet<{
        spec: { template: { spec: { containers: { resources?: { limits?: { memory?: string } } }[] } } };
      }>(`/apis/apps/v1/namespaces/${SYSTEM_NAMESPACE}/deployments/${collector}`);
      const limitMiB = mib(collectorDeployment.spec.template.spec.containers[0]!.resources!.limits!.memory!);
      // charts/collector-config.ts: memory_limiter refuses data above 80 % of the limit (its default).
      const limiterMiB = 0.8 * limitMiB;

      const sent: Sent[] = [];
      const samples: Sample[] = [];
      const t0 = Date.now();
      const end = t0 + DURATION_MS;
      const options = (kind: Kind, i: number): ChatOptions => ({
        model: MODEL,
        prompt: `soak request ${i}: tell me about the sea`,
        stream: kind !== 'plain',
        maxTokens: kind === 'cancelled' ? 256 : 24 + (i % 5) * 8,
        deadlineMs: 120_000,
      });
      const one = async (kind: Kind, i: number) => {
        if (kind !== 'cancelled') {
          sent.push({ kind, ...(await chatCompletion(base, options(kind, i))) });
          return;
        }
        const abort = new AbortController();
        const result = await chatCompletion(base, {
          ...options(kind, i),
          signal: abort.signal,
          onFirstToken: () => setTimeout(() => abort.abort(), 30),
        });
        sent.push({ kind, ...result });
      };
      const loop = async (id: number) => {
        for (let i = id; Date.now() < end && sent.length < MAX_REQUESTS; i += LOOPS) {
          const kind: Kind = i % 10 < 5 ? 'stream' : i % 10 < 8 ? 'plain' : 'cancelled';
          await one(kind, i);
          const last = sent.at(-1);
          if (last?.status === 429) await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const bursts = async () => {
        for (let n = 0; Date.now() + 15_000 < end; n++) {
          await new Promise((resolve) => setTimeout(resolve, 15_000));
          await Promise.all(Array.from({ length: BURST }, (_, k) => one('burst', 1_000_000 + n * BURST + k)));
        }
      };
      const sampler = async () => {
        while (Date.now() < end) {
          const [metrics, summary] = await Promise.all([
            fetch(`${base}${RUNTIME_PATHS.metrics}`).then((r) => r.text()),
            env.cluster.apiGet<{
              pods: {
                podRef: { name: string; namespace: string };
                containers?: { memory?: { workingSetBytes?: number } }[];
              }[];
            }>(`/api/v1/nodes/${env.cluster.nodeName}/proxy/stats/summary`),
          ]);
          const rss = parseSamples(metrics).find(
            (s) => s.name === RUNTIME_METRICS.ramUsage.prometheusName,
          )?.value;
          const pod = summary.pods.find(
            (p) => p.podRef.namespace === SYSTEM_NAMESPACE && p.podRef.name.startsWith(`${collector}-`),
          );
          const collectorBytes =
            pod?.containers?.reduce((sum, c) => sum + (c.memory?.workingSetBytes ?? 0), 0) ?? 0;
          samples.push({
            atS: Math.round((Date.now() - t0) / 1000),
            rssMiB: (rss ?? Number.NaN) / 2 ** 20,
            collectorMiB: collectorBytes / 2 ** 20,
          });
          await new Promise((resolve) => setTimeout(resolve, 5_000));
        }
      };
      await Promise.all([...Array.from({ length: LOOPS }, (_, id) => loop(id)), bursts(), sampler()]);
      const seconds = (Date.now() - t0) / 1000;

      const by = (keep: (r: Sent) => boolean) => sent.filter(keep);
      const admitted = by((r) => r.status === 200);
      const completed = by((r) => r.outcome === 'complete');
      const cancelled = by((r) => r.outcome === 'cancelled');
      const refused = by((r) => r.status === 429);
      const serverErrors = by((r) => (r.status ?? 0) >= 500);
      const dropped = by((r) => r.outcome === 'cut' || r.outcome === 'hang');
      const ttft = by((r) => r.kind !== 'plain' && r.outcome === 'complete' && r.ttftMs !== undefined).map(
        (r) => r.ttftMs!,
      );
      const tokens = completed.reduce((sum, r) => sum + r.tokens, 0);
      // The runtime's RSS climbs at first, peaks and falls back: measured 147 → 184 MiB by 15 s then
      // 168 to the end; on a busier machine 147 → 181 by 41 s then 164. Where that peak falls varies
      // with the machine, so a bound on a fixed warm-up window fails with no leak (CI: 166 at 12 s →
      // 184.7). A leak ends the run above everything before it: the last quarter's peak must stay
      // within 10 % of the peak before it.
      const lastQuarterS = seconds * 0.75;
      const before = samples.filter((s) => s.atS < lastQuarterS);
      const lastQuarter = samples.filter((s) => s.atS >= lastQuarterS);
      const rssPeakBefore = Math.max(...before.map((s) => s.rssMiB));
      const rssEnd = Math.max(...lastQuarter.map((s) => s.rssMiB));
      const collectorMax = Math.max(...samples.map((s) => s.collectorMiB));
      console.log(
        [
          `[soak] ${MINUTES} min (${seconds.toFixed(0)} s), ${new Date().toISOString().slice(0, 10)}, host → Service ClusterIP, parallel ${PARALLEL} + queue ${MAX_QUEUE}, ${LOOPS} loops + bursts of ${BURST} every 15 s`,
          `  requests ${sent.length}: admitted ${admitted.length} (completed ${completed.length}, cancelled ${cancelled.length}), 429 ${refused.length}, 5xx ${serverErrors.length}, dropped ${dropped.length}`,
          `  completed/s ${(completed.length / seconds).toFixed(2)}, tokens/s ${(tokens / seconds).toFixed(1)}, TTFT p50 ${percentile(ttft, 50).toFixed(0)} ms, p95 ${percentile(ttft, 95).toFixed(0)} ms`,
          `  runtime RSS MiB (t s: MiB): ${samples.map((s) => `${s.atS}:${s.rssMiB.toFixed(0)}`).join(' ')}`,
          `  peak before ${lastQuarterS.toFixed(0)} s ${rssPeakBefore.toFixed(1)} → peak after ${rssEnd.toFixed(1)} MiB; collector max ${collectorMax.toFixed(0)} MiB (memory_limiter ${limiterMiB.toFixed(0)} MiB)`,
        ].join('\n'),
      );
      const cancelledStreams = by((r) => r.kind === 'cancelled');
      expect(serverErrors.map((r) => `${r.status} ${r.error}`)).toEqual([]);
      expect(dropped.map((r) => `${r.kind} ${r.outcome} ${r.error}`)).toEqual([]);
      // Only the requests this client cancelled end cancelled; the bursts were refused in part.
      expect(cancelled.every((r) => r.kind === 'cancelled')).toBe(true);
      expect(cancelledStreams.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(r.retryAfter, 'a 429 says when to retry').toBeDefined();
      expect(completed.length).toBeGreaterThan(10);
      expect(lastQuarter.length, 'RSS samples in the last quarter').toBeGreaterThan(0);
      expect(rssEnd).toBeLessThanOrEqual(rssPeakBefore * 1.1);
      expect(collectorMax).toBeGreaterThan(0);
      expect(collectorMax).toBeLessThan(limiterMiB);

      // Every admitted request's trace, complete: the root HTTP span and the chat span; the generation
      // phases for those that finished (a cancelled one may end before decoding).
      const ids = admitted.map((r) => r.traceId!);
      expect(new Set(ids).size).toBe(ids.length);
      const missing = new Set(ids);
      const deadline = Date.now() + 120_000;
      while (missing.size > 0 && Date.now() < deadline) {
        for (const r of admitted) {
          if (!missing.has(r.traceId!)) continue;
          const trace = await fetchJaegerTrace(env.jaegerUrl(), r.traceId!);
          const names = new Set(trace?.spans.map((s) => s.operationName) ?? []);
          const root = trace?.spans.some((s) => (s.references ?? []).length === 0);
          const phases =
            r.outcome !== 'complete' || (names.has('llama.prefill') && names.has('llama.decode'));
          if (root && names.has(`chat ${MODEL}`) && phases) missing.delete(r.traceId!);
        }
        if (missing.size > 0) await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      console.log(`[soak] traces complete in Jaeger: ${ids.length - missing.size}/${ids.length}`);
      expect([...missing].slice(0, 10)).toEqual([]);
    },
    DURATION_MS + 15 * 60_000,
  );
});
