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
  resync: Phase;
  restart: Phase & { cacheSyncSeconds: number; firstPassSeconds: number };
  operatorRssMiB: Record<string, number>;
}

const cpu = (p: Phase) => `${p.cpuSeconds.operator} / ${p.cpuSeconds.apiserver} / ${p.cpuSeconds.etcd}`;

export function printTable(dir: string): void {
  if (!existsSync(dir)) throw new Error(`no ${dir}: run npm run bench:operator first`);
  const results = readdirSync(dir)
    .filter((f) => /^operator-\d+.*\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Result)
    .sort((a, b) => a.models - b.models || (a.label ?? '').localeCompare(b.label ?? ''));
  const rows = [
    '| models | run | workers | create s | all Deployments s | all statuses s | writes (API server, operator) | reconciles | calls/reconcile | queued ms | CPU s op / apiserver / etcd | resync: reconciles, writes | restart: sync s, pass s, writes | RSS MiB idle / converged / restarted | MiB per 1,000 models |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|---|---:|',
  ];
  for (const r of results) {
    const serverWrites = Object.entries(r.convergence.apiServerWrites)
      .filter(([k]) => k !== 'POST llamamodels')
      .reduce((n, [, v]) => n + v, 0);
    const m = r.operatorRssMiB;
    rows.push(
      `| ${r.models} | ${r.label || r.runtime} | ${r.concurrency} | ${r.createSeconds} | ${r.allDeploymentsSeconds} | ${r.allStatusesSeconds} | ${serverWrites}, ${r.convergence.operatorWrites} | ${r.convergence.reconciles} | ${r.convergence.operatorCallsPerReconcile} | ${r.convergence.meanQueuedMs} | ${cpu(r.convergence)} | ${r.resync.reconciles}, ${r.resync.operatorWrites} | ${r.restart.cacheSyncSeconds}, ${r.restart.firstPassSeconds}, ${r.restart.operatorWrites} | ${m.idle} / ${m.converged} / ${m.restartedWithModels} | ${m.perThousandModels} |`,
    );
  }
  console.log(rows.join('\n'));
}
