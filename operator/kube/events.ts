// Records core/v1 Events on an object (what `kubectl describe` shows). The same reason and message
// for the same object are recorded once per `dedupMs`, so a retry loop cannot flood the API.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './kube-client.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string };
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly dedupMs: number;
  private readonly recent = new Map<string, number>();

  constructor(client: KubeClient, component: string, dedupMs = 10 * 60_000) {
    this.client = client;
    this.component = component;
    this.dedupMs = dedupMs;
  }

  async record(
    target: EventTarget,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const key = `${target.metadata.uid}/${type}/${reason}/${message}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < this.dedupMs) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) this.recent.clear();
    const { name, namespace, uid, resourceVersion } = target.metadata;
    const timestamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.client.create(`/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name,
        namespace,
        uid,
        resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    });
  }
}
