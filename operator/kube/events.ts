// Records core/v1 Events on an object (what `kubectl describe` shows). An event that repeats the
// last one recorded for the same object (same type, reason and message) within `dedupMs` is dropped,
// so a retry loop cannot flood the API; a transition back (Ready → not Ready → Ready) is recorded
// each time, since another event came between.
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
  /** Per object uid: the last event recorded (type/reason/message) and when. */
  private readonly last = new Map<string, { key: string; at: number }>();

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
    const object = `${target.metadata.uid}`;
    const key = `${type}/${reason}/${message}`;
    const now = Date.now();
    const last = this.last.get(object);
    if (last !== undefined && last.key === key && now - last.at < this.dedupMs) return;
    this.last.set(object, { key, at: now });
    if (this.last.size > 10_000) this.last.clear();
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
