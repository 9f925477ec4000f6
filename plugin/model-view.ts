// What `ls` shows of a model and how `run` describes its progress: pure functions of the object.
import { CONDITION } from '../operator/api/conditions.js';
import type { ModelObject } from './llama-models.js';
import { humanAge, shortSeconds } from './table.js';

/** The replicas wanted as the operator last saw it (the autoscaler's count when autoscaled), else spec.replicas. */
const desired = (model: ModelObject) =>
  model.status?.desiredReplicas ??
  (model.spec.autoscaling ? model.status?.replicas : undefined) ??
  model.spec.replicas ??
  1;

const dash = (value: string | number | undefined) =>
  value === undefined || value === '' ? '-' : String(value);

export const LIST_COLUMNS = ['NAME', 'READY', 'PHASE', 'ENDPOINT', 'TOK/S', 'TTFT', 'AGE'] as const;
export const WIDE_COLUMNS = ['SOURCE', 'GPU', 'TTFT P95', 'IN FLIGHT', 'QUEUED'] as const;

export function listRow(model: ModelObject, now: number, wide: boolean): string[] {
  const status = model.status ?? {};
  const performance = status.performance;
  const created = model.metadata.creationTimestamp;
  const row = [
    model.metadata.name,
    `${status.readyReplicas ?? 0}/${desired(model)}`,
    dash(status.phase),
    dash(status.endpoint),
    performance ? performance.tokensPerSecond.toFixed(1) : '-',
    shortSeconds(performance?.ttftP50Seconds),
    created ? humanAge(now - Date.parse(created)) : '-',
  ];
  if (!wide) return row;
  return [
    ...row,
    model.spec.model.source,
    dash(model.spec.gpu?.count),
    shortSeconds(performance?.ttftP95Seconds),
    dash(performance?.requestsInFlight),
    dash(performance?.requestsQueued),
  ];
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * One line for the state of a model being brought up: its phase, the download's progress while
 * there is one, and the conditions that are not fine (Degraded True, Ready False) with their
 * reason and message. The same state gives the same line, so a caller prints only changes.
 */
export function progressLine(model: ModelObject): string {
  const status = model.status ?? {};
  const parts = [`phase ${status.phase ?? 'Pending'}`];
  const download = status.download;
  if (download) {
    parts.push(
      download.totalBytes > 0
        ? `downloading ${download.percent}% (${megabytes(download.bytes)} of ${megabytes(download.totalBytes)})`
        : `downloading (${megabytes(download.bytes)})`,
    );
  }
  parts.push(`ready ${status.readyReplicas ?? 0}/${desired(model)}`);
  // What moves (Progressing) and what needs a person (Degraded), with the operator's own words.
  for (const c of status.conditions ?? []) {
    if ((c.type === CONDITION.progressing || c.type === CONDITION.degraded) && c.status === 'True') {
      parts.push(`${c.type === CONDITION.degraded ? 'Degraded ' : ''}${c.reason}: ${c.message}`);
    }
  }
  return parts.join(' · ');
}
