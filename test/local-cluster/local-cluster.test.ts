// The local cluster, for real: network namespace, etcd, control plane, containerd v2, kubelet,
// kube-proxy and CoreDNS on this host; a busybox web Deployment, DNS, host -> Pod, fake GPUs; and a
// teardown that leaves the host exactly as it was. Needs root and `npm run tools`.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_LOCK_WAIT_MS,
  type HostState,
  hostStateSnapshot,
  LOCK_FILE,
  type LocalCluster,
  localClusterSkipReason,
  NODE_NETWORK,
  startLocalCluster,
  withoutPodmanNetworks,
} from '../harness/local-cluster/index.js';
import { httpGet, waitFor } from '../harness/wait.js';
import { ensureWebImage } from './web-image.js';

const skipReason = localClusterSkipReason();
if (skipReason) console.warn(`[local-cluster] skipped: ${skipReason}`);

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const web = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${image}
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

const pod = (name: string, image: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: ["/bin/sleep", "3600"]
${extra}`;

describe.skipIf(skipReason)('startLocalCluster (real node in a network namespace)', () => {
  let before: HostState;
  let cluster: LocalCluster | undefined;
  let webImage: string;

  const podStatus = (name: string) => cluster!.apiGet<Pod>(`/api/v1/namespaces/default/pods/${name}`);
  const waitRunning = (name: string) =>
    waitFor(
      async () => {
        const p = await podStatus(name);
        return (
          p.status.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          p
        );
      },
      { description: `Pod ${name} Running and Ready`, timeoutMs: 90_000, intervalMs: 250 },
    );

  beforeAll(async () => {
    webImage = await ensureWebImage();
    // The "before" snapshot must not catch another suite's (or engineer's) cluster: wait for it to go.
    await waitFor(
      async () => {
        if (!existsSync(LOCK_FILE)) return true;
        try {
          process.kill(JSON.parse(readFileSync(LOCK_FILE, 'utf8')).pid, 0);
          return false;
        } catch {
          return true; // a crashed holder: startLocalCluster cleans up after it
        }
      },
      {
        description: `another cluster to release ${LOCK_FILE}`,
        timeoutMs: CLUSTER_LOCK_WAIT_MS,
        intervalMs: 2_000,
      },
    );
    before = await hostStateSnapshot();
    // Another suite's (or engineer's) cluster on this host: wait for it, one cluster per host.
    cluster = await startLocalCluster({ log: (line) => console.log(line), lockWaitMs: CLUSTER_LOCK_WAIT_MS });
    console.log(`[local-cluster] bring-up: ${(cluster.bringUpMs / 1000).toFixed(1)} s (budget 30 s)`);
    await cluster.loadImage(webImage);
  }, CLUSTER_LOCK_WAIT_MS + 480_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 180_000);

  it('registers a Ready node at the node IP that reports v1.37.2 and containerd 2', async () => {
    type Node = {
      status: {
        nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string };
        addresses: { type: string; address: string }[];
      };
    };
    const node = await cluster!.apiGet<Node>(`/api/v1/nodes/${cluster!.nodeName}`);
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.37.2');
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: NODE_NETWORK.nodeIp });
    expect(cluster!.apiServerUrl).toBe(`https://${NODE_NETWORK.nodeIp}:6443`);
    expect(await cluster!.kubectl(['get', 'nodes', '-o', 'name'])).toBe(`node/${cluster!.nodeName}\n`);
  });

  it('refuses a second cluster on this host, naming the holder', async () => {
    await expect(startLocalCluster()).rejects.toThrow(
      `a local cluster is already running on this host, held by this process since`,
    );
    expect(JSON.parse(readFileSync(LOCK_FILE, 'utf8'))).toMatchObject({
      pid: process.pid,
      workDir: cluster!.dir,
    });
  });

  it('schedules and runs a Deployment; the host reaches its Pod IP', async () => {
    await cluster!.kubectl(['apply', '-f', '-'], { input: web(webImage) });
    const [name] = await waitFor(
      async () => {
        const pods = await cluster!.apiGet<{ items: Pod[] }>(
          '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
        );
        return pods.items.length === 1 && pods.items.map((p) => p.metadata.name);
      },
      { description: 'the web Pod', intervalMs: 250 },
    );
    const running = await waitRunning(name!);
    expect(running.spec.nodeName).toBe(cluster!.nodeName);
    expect(running.status.podIP).toMatch(/^198\.18\.1\.\d+$/);
    const response = await httpGet(`http://${running.status.podIP}:8080/`);
    expect(response).toEqual({ status: 200, body: 'hello-from-pod\n' });
  });

  it('lets a Pod reach the Service by its DNS name', async () => {
    await cluster!.kubectl(['apply', '-f', '-'], { input: pod('client', webImage) });
    await waitRunning('client');
    const service = await cluster!.apiGet<{ spec: { clusterIP: string } }>(
      '/api/v1/namespaces/default/services/web',
    );
    expect(service.spec.clusterIP).toMatch(/^198\.19\.\d+\.\d+$/);
    // busybox's nslookup uses the Pod's resolv.conf (kube-dns); its static-glibc nc then takes the IP.
    const script =
      "ip=$(nslookup web.default.svc.cluster.local | awk '/^Address/ {a=$NF} END {print a}'); " +
      'echo "ip=$ip"; printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc "$ip" 80';
    const output = await waitFor(
      async () => {
        const out = await cluster!.kubectl(['exec', 'client', '--', 'sh', '-c', script]);
        return out.includes('hello-from-pod') && out;
      },
      { description: 'client -> http://web.default.svc.cluster.local', timeoutMs: 30_000, intervalMs: 1_000 },
    );
    expect(output).toContain(`ip=${service.spec.clusterIP}`);
    const resolv = await cluster!.kubectl(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
    expect(resolv).toContain(`nameserver ${NODE_NETWORK.dnsServiceIp}`);
  });

  it('schedules one Pod per fake GPU and leaves the next Pending', async () => {
    await cluster!.addFakeGpus(1);
    const gpu = '    resources: {limits: {nvidia.com/gpu: 1}}\n';
    await cluster!.kubectl(['apply', '-f', '-'], { input: pod('gpu-1', webImage, gpu) });
    await waitRunning('gpu-1');
    await cluster!.kubectl(['apply', '-f', '-'], { input: pod('gpu-2', webImage, gpu) });
    const unschedulable = await waitFor(
      async () => {
        const p = await podStatus('gpu-2');
        return p.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      { description: 'gpu-2 unschedulable', intervalMs: 250 },
    );
    expect(unschedulable.message).toContain('Insufficient nvidia.com/gpu');
    expect((await podStatus('gpu-2')).status.phase).toBe('Pending');
  });

  it('tears down to exactly the host state it started from', async () => {
    const report = await cluster!.stop();
    console.log(
      `[local-cluster] teardown: ${(report.ms / 1000).toFixed(1)} s; ${report.actions.join('; ') || 'no leftovers'}`,
    );
    const after = await hostStateSnapshot();
    // Other engineers' podman networks may come and go meanwhile: those are not the cluster's.
    expect(withoutPodmanNetworks(after)).toEqual(withoutPodmanNetworks(before));
  }, 180_000);
});
