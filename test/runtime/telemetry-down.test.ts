// A telemetry backend that is down never fails or stalls a request: the OTLP endpoint points at a
// closed port, exports fail in the background, every request succeeds and shutdown stays bounded.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { freePort } from '../harness/index.js';
import { spanExportCounts } from '../reliability/support/lost-spans.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

describe('OTLP endpoint at a closed port', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    model = await tinyModelDir();
    const closed = await freePort();
    server = await startTestServer(testConfig(model.modelPath, { traceDetail: 'token' }), {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_METRIC_EXPORT_INTERVAL: '100',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
  });

  afterAll(async () => {
    await model?.remove();
  });

  it('serves every request, streamed and not', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    for (let i = 0; i < 5; i++) {
      const completion = await client.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: `request ${i}` }],
        max_tokens: 8,
      });
      expect(completion.usage?.completion_tokens).toBeGreaterThanOrEqual(0);
      const stream = await client.completions.create({
        model: TEST_MODEL,
        prompt: `stream ${i}`,
        max_tokens: 8,
        stream: true,
      });
      let chunks = 0;
      for await (const _ of stream) chunks++;
      expect(chunks).toBeGreaterThan(0);
    }
    // Metrics still render locally.
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
      'gen_ai_server_request_duration_count',
    );
  });

  it('counts the spans it could not export on /metrics (the trace SDK batch span processor metric)', async () => {
    await server.telemetry.forceFlush();
    const counts = spanExportCounts(await (await fetch(`${server.url}/metrics`)).text());
    // 10 requests above, each with several spans; none could be exported to a closed port.
    expect(counts.failedExport + counts.droppedQueueFull).toBeGreaterThanOrEqual(10);
    expect(counts.exported).toBe(0);
    expect(counts.capacity).toBe(2_048);
  });

  it('flushes and shuts down within a bounded time', async () => {
    await server.telemetry.forceFlush();
    await server.close();
    expect(server.context.engine?.disposed).toBe(true);
  });
});
