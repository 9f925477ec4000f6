// The README's table: one row per dist/bench/operator-*.json that bench:operator wrote, by model count.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Phase {
  reconciles: number;
  operatorWrites: number;
  operatorCallsPerReconcile: number;
  meanQueuedMs: number;
  cpuSeconds: Record<string, number>;
}

interface Result {
  label?: string;
  models: number;
  runtime: string;
  concurrency: number | string;
  createSeconds: number;
  allDeploymentsSeconds: number;
  allStatusesSeconds: number;
  convergence: Phase & { apiServerWrites: Record<string, number> };
  resync: Phase & { apiServerWrites: Record<string, number> };
  restart: Phase & {
    apiServerWrites: Record<string, number>;
    cacheSyncSeconds: number;
    firstPassSeconds: number;
  };
  operatorRssMiB: Record<string, number>;
}

// Writes the API server counted in a phase where the benchmark writes nothing (leases excluded).
const serverWrites = (p: { apiServerWrites: Record<string, number> }) =>
  Object.values(p.apiServerWrites).reduce((n, v) => n + v, 0);
const cpu = (p: Phase) => `${p.cpuSeconds.operator} / ${p.cpuSeconds.apiserver} / ${p.cpuSeconds.etcd}`;

export function printTable(dir: string): void {
  if (!existsSync(dir)) throw new Error(`no ${dir}: run npm run bench:operator first`);
  const results = readdirSync(dir)
    .filter((f) => /^operator-\d+.*\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Result)
    .sort((a, b) => a.models - b.models || (a.label ?? '').localeCompare(b.label ?? ''));
  const rows = [
    '| models | run | workers | create s | all Deployments s | all statuses s | writes per model | reconciles | queued ms (mean) | CPU s op / apiserver / etcd | resync: reconciles, writes | restart: start to every model reconciled s, writes | RSS MiB idle / converged / restarted | MiB per 1,000 models (restarted − idle) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|',
  ];
  for (const r of results) {
    // Counted by the API server (so the operator before this work counts too): everything but the
    // benchmark's own creates and the API server's own IPAddress objects.
    const writes = Object.entries(r.convergence.apiServerWrites)
      .filter(([k]) => k !== 'POST llamamodels' && k !== 'POST ipaddresses')
      .reduce((n, [, v]) => n + v, 0);
    const m = r.operatorRssMiB;
    rows.push(
      `| ${r.models} | ${r.label || r.runtime} | ${r.concurrency} | ${r.createSeconds} | ${r.allDeploymentsSeconds} | ${r.allStatusesSeconds} | ${Math.round((writes / r.models) * 100) / 100} | ${r.convergence.reconciles} | ${r.convergence.meanQueuedMs || '—'} | ${cpu(r.convergence)} | ${r.resync.reconciles}, ${serverWrites(r.resync)} | ${r.restart.firstPassSeconds}, ${serverWrites(r.restart)} | ${m.idle} / ${m.converged} / ${m.restartedWithModels} | ${m.perThousandModels} |`,
    );
  }
  console.log(rows.join('\n'));
}
