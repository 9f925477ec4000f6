// Lease-based leader election against the real API server, with short timings.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../operator/kube/kube-client.js';
import { LeaderElector } from '../../operator/kube/leader-election.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';

interface Lease {
  metadata: { resourceVersion: string };
  spec: {
    holderIdentity?: string;
    leaseTransitions?: number;
    leaseDurationSeconds?: number;
    renewTime?: string;
  };
}

describe('LeaderElector (real API server)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  beforeAll(async () => {
    client = await KubeClient.fromKubeConfig(kc);
    ns = await createTestNamespace(kc, 'leader');
  });

  const candidate = (name: string, identity: string, events: string[], retryPeriodMs = 200) => {
    const elector = new LeaderElector(client, {
      namespace: ns,
      name,
      identity,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} lost`),
    });
    electors.push(elector);
    return elector;
  };

  it('elects one leader; a released lease passes to the standby at once', async () => {
    const events: string[] = [];
    const a = candidate('op', 'a', events);
    a.start();
    await waitFor(async () => a.isLeader, { description: 'a to lead' });
    const b = candidate('op', 'b', events);
    b.start();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.isLeader).toBe(false);
    const held = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/op`);
    expect(held.spec.holderIdentity).toBe('a');
    await a.stop();
    await waitFor(async () => b.isLeader, { description: 'b to take over' });
    expect(events).toEqual(['a leads', 'b leads']);
    const lease = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/op`);
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 0 });
  });

  it('a stop while a renewal is in flight still releases the lease (no wait for expiry)', async () => {
    // Renewing every millisecond keeps a round in flight almost always; the release must not lose
    // the race with it (it once conflicted, and the standby waited for the lease to expire).
    for (let round = 0; round < 5; round++) {
      const events: string[] = [];
      const name = `busy-${round}`;
      const a = candidate(name, 'a', events, 1);
      a.start();
      await waitFor(async () => a.isLeader, { description: 'a to lead' });
      await new Promise((r) => setTimeout(r, 50));
      await a.stop();
      const lease = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`);
      expect(lease.spec.holderIdentity ?? null, `round ${round}`).toBeNull();
    }
  });

  it('a leader whose lease is taken over (it could not renew in time) stops leading', async () => {
    const events: string[] = [];
    const a = candidate('op2', 'a', events);
    a.start();
    await waitFor(async () => a.isLeader, { description: 'a to lead' });
    // Another holder wrote the lease (as a candidate would after a's lease expired during a partition).
    const lease = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/op2`);
    await client.update(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/op2`, {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: 'intruder',
        renewTime: new Date(Date.now() + 60_000).toISOString().replace('Z', '000Z'),
      },
    });
    await waitFor(async () => events.includes('a lost'), { description: 'a to lose the lease' });
    expect(a.isLeader).toBe(false);
  });

  it('a candidate takes over an expired lease and counts the transition', async () => {
    const events: string[] = [];
    await client.create(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'op3' },
      spec: {
        holderIdentity: 'crashed',
        leaseDurationSeconds: 1,
        renewTime: new Date(Date.now() - 5_000).toISOString().replace('Z', '000Z'),
        leaseTransitions: 4,
      },
    });
    const b = candidate('op3', 'b', events);
    b.start();
    await waitFor(async () => b.isLeader, { description: 'b to take the expired lease' });
    const lease = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/op3`);
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5 });
  });
});
