// Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection with a LeaseLock):
// acquire when the lease is free or expired, renew every retry period, and treat a renewal that
// cannot succeed within the renew deadline as lost leadership (the caller exits: a restarted pod
// is the simplest correct recovery). A graceful stop releases the lease so a standby takes over.
import { isConflict, isNotFound } from './errors.js';
import type { KubeClient } from './kube-client.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This candidate's identity (pod name + a random suffix). */
  readonly identity: string;
  /** @default 15 s */
  readonly leaseDurationMs?: number;
  /** @default 10 s */
  readonly renewDeadlineMs?: number;
  /** @default 2 s */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  /** Leadership was lost (not released): stop reconciling at once. */
  readonly onStoppedLeading: () => void;
  readonly onError?: (error: unknown) => void;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly options: Required<Omit<LeaderElectionOptions, 'onError'>> &
    Pick<LeaderElectionOptions, 'onError'>;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  /** The acquire/renew round in flight: stop() waits for it, or its write would race the release. */
  private round: Promise<void> | undefined;

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.client = client;
    this.options = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    const { namespace, name } = this.options;
    return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /**
   * Stops campaigning, then releases the lease if it names this candidate (holder cleared), so a
   * standby takes over now instead of after the lease expires. It waits for a round in flight first
   * and releases from a fresh read: a renewal (or an acquisition) that landed while stopping would
   * otherwise make the release conflict and leave the lease held until it expires.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
    this.leading = false;
    try {
      const lease = await this.client.getOrUndefined<Lease>(this.path);
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      await this.client.update(this.path, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      });
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.round = this.tryAcquireOrRenew();
      await this.round;
      if (this.leading) this.lastRenew = Date.now();
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.stopped) return;
    if (this.leading && Date.now() - this.lastRenew > this.options.renewDeadlineMs) {
      this.leading = false;
      this.stopped = true;
      this.options.onStoppedLeading();
      return;
    }
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
    this.timer.unref();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const { identity, namespace, name } = this.options;
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    const current = await this.client.getOrUndefined<Lease>(this.path);
    if (!current) {
      await this.client.create<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      this.becomeLeader();
      return;
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewedAt = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = renewedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 < now.getTime();
    if (holder && holder !== identity && !expired) {
      // Someone else leads.
      if (this.leading) {
        this.leading = false;
        this.stopped = true;
        this.options.onStoppedLeading();
      }
      return;
    }
    const taking = holder !== identity;
    try {
      await this.client.update<Lease>(this.path, {
        ...current,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: microTime(now),
          ...(taking
            ? {
                acquireTime: microTime(now),
                leaseTransitions: (spec.leaseTransitions ?? 0) + (holder ? 1 : 0),
              }
            : {}),
        },
      });
      this.becomeLeader();
    } catch (error) {
      // Another candidate wrote first (resourceVersion conflict) or deleted it: retry next period.
      if (isConflict(error) || isNotFound(error)) return;
      throw error;
    }
  }

  private becomeLeader(): void {
    // A renewal still in flight when stop() ran must not make a stopped elector lead again.
    if (this.stopped || this.leading) return;
    this.leading = true;
    this.options.onStartedLeading();
  }
}
