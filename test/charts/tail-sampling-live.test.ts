// Tail sampling on the real collector (the chart's gateway pipeline, and agents in front of it)
// into the real Jaeger: 200 traces made with the OpenTelemetry SDK, sent over OTLP/gRPC. Every
// failed, slow, slow-first-token and marked trace must arrive whole; of the rest only about the
// configured share may. The spans are synthetic (the SDK with set start times and statuses), so a
// slow trace does not take 10 s of a real request.
import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_ALWAYS, TRACE_ATTRIBUTES } from '../../charts/telemetry-contract.js';
import {
  type Collector,
  httpGet,
  type Jaeger,
  startCollector,
  startJaeger,
  waitFor,
} from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';

const RATIO = 0.01;
/** Keep-policy traces of each kind, and plain ones. */
const EACH = 20;
const PLAIN = 120;
/**
 * The most plain traces a 1 % share may keep out of 120: P(X > 8) for X ~ Binomial(120, 0.01) is
 * about 2·10⁻⁶, so a failure means the share is wrong, not bad luck.
 */
const PLAIN_BOUND = 8;

type Kind = 'error' | 'slow' | 'slowFirstToken' | 'marked' | 'plain';

function tracerFor(endpoint: string, service: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), {
        maxQueueSize: 4096,
        maxExportBatchSize: 256,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  return { provider, tracer: provider.getTracer('tail-sampling-test') };
}

/** A request-shaped trace: a root server span and the chat span under it, ended now. */
function sendTrace(tracer: ReturnType<typeof tracerFor>['tracer'], kind: Kind): string {
  const now = Date.now();
  const root = tracer.startSpan('POST /v1/chat/completions', {
    startTime: kind === 'slow' ? now - 11_000 : now - 50,
    attributes: kind === 'marked' ? { [TRACE_ATTRIBUTES.sample]: SAMPLE_ALWAYS } : {},
  });
  const chat = tracer.startSpan(
    'chat tiny',
    {
      startTime: now - 40,
      attributes: {
        [TRACE_ATTRIBUTES.operationName]: 'chat',
        [TRACE_ATTRIBUTES.requestModel]: 'tiny',
        [TRACE_ATTRIBUTES.timeToFirstToken]: kind === 'slowFirstToken' ? 3.5 : 0.02,
      },
    },
    trace.setSpan(context.active(), root),
  );
  if (kind === 'error') chat.setStatus({ code: SpanStatusCode.ERROR, message: 'model failed' });
  chat.end(now - 1);
  root.end(now);
  return root.spanContext().traceId;
}

async function tracesOf(jaeger: Jaeger, service: string): Promise<Map<string, number>> {
  const response = await httpGet(`${jaeger.queryUrl}/api/traces?service=${service}&limit=1000&lookback=1h`);
  const body = JSON.parse(response.body) as { data: { traceID: string; spans: unknown[] }[] };
  return new Map(body.data.map((t) => [t.traceID, t.spans.length]));
}

describe('tail sampling in the gateway collector (real collector, real Jaeger)', () => {
  let jaeger: Jaeger | undefined;
  const collectors: Collector[] = [];
  printLogsOnFailure(() =>
    [jaeger?.process.logFile, ...collectors.map((c) => c.process.logFile)].filter((f): f is string => !!f),
  );

  beforeAll(async () => {
    jaeger = await startJaeger();
  });
  afterAll(async () => {
    await Promise.all(collectors.map((c) => c.stop()));
    await jaeger?.stop();
  });

  async function gateway(ratio: number): Promise<Collector> {
    const collector = await startCollector({
      tracesEndpoint: jaeger!.otlpGrpcEndpoint,
      pipeline: { tailSampling: { ratio, decisionWaitSeconds: 5 } },
    });
    collectors.push(collector);
    return collector;
  }

  it(`keeps every error, slow, slow-first-token and marked trace of 200, and about ${RATIO * 100} % of the rest`, async () => {
    const collector = await gateway(RATIO);
    const service = 'tail-sampling-200';
    const { provider, tracer } = tracerFor(collector.otlpGrpcEndpoint, service);
    const kinds: Kind[] = [
      ...(['error', 'slow', 'slowFirstToken', 'marked'] as const).flatMap((k) => Array<Kind>(EACH).fill(k)),
      ...Array<Kind>(PLAIN).fill('plain'),
    ];
    const sent = kinds.map((kind) => ({ kind, traceId: sendTrace(tracer, kind) }));
    expect(sent).toHaveLength(200);
    await provider.forceFlush();
    await provider.shutdown();

    const kept = sent.filter((t) => t.kind !== 'plain');
    let found = new Map<string, number>();
    await waitFor(
      async () => {
        found = await tracesOf(jaeger!, service);
        return kept.every((t) => found.get(t.traceId) === 2);
      },
      { description: `${kept.length} kept traces, whole, in Jaeger`, timeoutMs: 60_000 },
    );
    // Past every decision (5 s wait, 1 s after a root): what is not in Jaeger now was dropped.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    found = await tracesOf(jaeger!, service);
    const plainKept = sent.filter((t) => t.kind === 'plain' && found.has(t.traceId)).length;
    console.log(
      `tail sampling: ${kept.length} of ${kept.length} kept by policy, ${plainKept} of ${PLAIN} plain kept at ${RATIO}`,
    );
    expect(kept.filter((t) => found.get(t.traceId) !== 2)).toEqual([]);
    expect(plainKept).toBeLessThanOrEqual(PLAIN_BOUND);
    expect(found.size).toBe(kept.length + plainKept);
  });

  it('judges a trace whole when its spans come through two node agents: an error in one keeps the span from the other', async () => {
    const gw = await gateway(0);
    const agents: Collector[] = [];
    for (let i = 0; i < 2; i++) {
      const agent = await startCollector({
        tracesEndpoint: gw.otlpGrpcEndpoint,
        pipeline: { mode: 'agent' },
      });
      collectors.push(agent);
      agents.push(agent);
    }
    const service = 'tail-sampling-agents';
    const [a, b] = agents.map((agent) => tracerFor(agent.otlpGrpcEndpoint, service)) as [
      ReturnType<typeof tracerFor>,
      ReturnType<typeof tracerFor>,
    ];
    // One trace, two processes on two nodes: the client's root span (fine) through agent A, the
    // server's span (failed) through agent B. A second trace, all fine, is the control.
    const send = (failed: boolean): string => {
      const root: Span = a.tracer.startSpan('client call');
      const server = b.tracer.startSpan(
        'POST /v1/chat/completions',
        {},
        trace.setSpan(context.active(), root),
      );
      if (failed) server.setStatus({ code: SpanStatusCode.ERROR });
      server.end();
      root.end();
      return root.spanContext().traceId;
    };
    const failedTrace = send(true);
    const fineTrace = send(false);
    await Promise.all(
      [a, b].map(async ({ provider }) => {
        await provider.forceFlush();
        await provider.shutdown();
      }),
    );

    const whole = await jaeger!.waitForTrace(failedTrace, { minSpans: 2, timeoutMs: 30_000 });
    expect(whole.spans.map((s) => s.operationName).sort()).toEqual([
      'POST /v1/chat/completions',
      'client call',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await tracesOf(jaeger!, service)).has(fineTrace)).toBe(false);
  });
});
