// The chart's Jaeger config starts the real Jaeger v2 binary, with either storage.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet, type Jaeger, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { sendSpan } from './helpers/send-telemetry.js';

describe('Jaeger config on the real Jaeger', () => {
  let jaeger: Jaeger | undefined;
  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));
  afterEach(async () => {
    await jaeger?.stop();
    jaeger = undefined;
  });

  it('starts with in-memory storage, takes OTLP and serves the trace on its query API and UI', async () => {
    jaeger = await startJaeger({ storage: () => ({ type: 'memory', maxTraces: 1000 }) });
    const traceId = await sendSpan(jaeger.otlpGrpcEndpoint, { 'service.name': 'jaeger-memory-test' });
    const trace = await jaeger.waitForTrace(traceId);
    expect(trace.spans[0]?.operationName).toBe('chat tiny');
    const ui = await httpGet(`${jaeger.queryUrl}/`);
    expect(ui.status).toBe(200);
    expect(ui.body).toMatch(/<html/i);
  });

  it('starts with badger storage and writes its keys and values where the config points', async () => {
    let dataDir = '';
    jaeger = await startJaeger({
      storage: (dir) => {
        dataDir = join(dir, 'badger');
        return { type: 'badger', directory: dataDir, ttl: '1h' };
      },
    });
    const traceId = await sendSpan(jaeger.otlpGrpcEndpoint, { 'service.name': 'jaeger-badger-test' });
    const trace = await jaeger.waitForTrace(traceId);
    expect(trace.spans).toHaveLength(1);
    for (const sub of ['keys', 'values']) {
      expect(existsSync(join(dataDir, sub))).toBe(true);
      expect(readdirSync(join(dataDir, sub)).length).toBeGreaterThan(0);
    }
  });
});
