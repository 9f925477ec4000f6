// Runs the real Jaeger v2 binary on the config that charts/jaeger-config.ts generates (not the
// harness's own config), on loopback ports, and reads traces back through its query API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type JaegerStorage, jaegerConfig } from '../../../charts/jaeger-config.js';
import { freePorts, httpGet, type JaegerTrace, ServerProcess, waitFor } from '../../harness/index.js';
import { makeWorkDir, removeWorkDir } from '../../harness/workdir.js';
import { binaryPath } from '../../tools/catalog.js';

export interface ChartJaeger {
  readonly otlpGrpcEndpoint: string;
  readonly queryUrl: string;
  readonly process: ServerProcess;
  readonly config: Record<string, unknown>;
  waitForTrace(traceId: string, minSpans?: number): Promise<JaegerTrace>;
  stop(): Promise<void>;
}

/** `storage` paths are used as given; pass a folder under `dir` for badger. */
export async function startChartJaeger(makeStorage: (dir: string) => JaegerStorage): Promise<ChartJaeger> {
  const dir = makeWorkDir('chart-jaeger');
  const [otlpGrpc, otlpHttp, query, queryGrpc, health] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const config = jaegerConfig({
    listenHost: '127.0.0.1',
    ports: { otlpGrpc, otlpHttp, query, queryGrpc, health },
    storage: makeStorage(dir),
  });
  const configFile = join(dir, 'jaeger.yaml');
  writeFileSync(configFile, stringify(config));
  const process = ServerProcess.start({
    name: 'jaeger',
    command: binaryPath('jaeger'),
    args: ['--config', `file:${configFile}`],
    logFile: join(dir, 'jaeger.log'),
  });
  const queryUrl = `http://127.0.0.1:${query}`;
  try {
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${health}/status`)).status === 200, {
      description: 'Jaeger health (the generated config)',
      abortIf: () => process.assertRunning(),
    });
    await waitFor(async () => (await httpGet(`${queryUrl}/api/services`)).status === 200, {
      description: 'Jaeger query API',
      abortIf: () => process.assertRunning(),
    });
  } catch (error) {
    await process.stop();
    removeWorkDir(dir);
    throw error;
  }
  return {
    otlpGrpcEndpoint: `http://127.0.0.1:${otlpGrpc}`,
    queryUrl,
    process,
    config,
    waitForTrace(traceId, minSpans = 1) {
      return waitFor(
        async () => {
          const response = await httpGet(`${queryUrl}/api/traces/${traceId}`);
          if (response.status !== 200) return undefined;
          const trace = (JSON.parse(response.body) as { data: JaegerTrace[] }).data[0];
          return trace && trace.spans.length >= minSpans ? trace : undefined;
        },
        { description: `trace ${traceId} in Jaeger`, timeoutMs: 30_000, intervalMs: 200 },
      );
    },
    async stop() {
      await process.stop();
      removeWorkDir(dir);
    },
  };
}
