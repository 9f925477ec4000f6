import { join } from 'node:path';
import { binaryPath } from '../tools/catalog.js';
import { freePorts } from './ports.js';
import { ServerProcess } from './server-process.js';
import { httpGet, waitFor } from './wait.js';

export interface Etcd {
  readonly clientUrl: string;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

/** A single-member etcd on loopback, data in `dir`, ready when /health reports healthy. */
export async function startEtcd(dir: string): Promise<Etcd> {
  const [clientPort, peerPort] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const process = ServerProcess.start({
    name: 'etcd',
    command: binaryPath('etcd'),
    logFile: join(dir, 'etcd.log'),
    args: [
      '--name=harness',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=harness=${peerUrl}`,
      // Test data is disposable: skipping fsync keeps etcd from stalling on a busy disk.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });
  await waitFor(
    async () => {
      const response = await httpGet(`${clientUrl}/health`);
      return response.status === 200 && JSON.parse(response.body).health === 'true';
    },
    { description: `etcd at ${clientUrl}`, abortIf: () => process.assertRunning() },
  );
  return {
    clientUrl,
    process,
    async stop() {
      await process.stop();
    },
  };
}
