// `npm run demo -- --local`: the demo on a real single-node Kubernetes without kind or Docker — the
// test harness's startLocalCluster() (test/harness/local-cluster/: control plane, kubelet, containerd,
// kube-proxy and CoreDNS in a network namespace of this host; Linux and root). Like kind-cluster.ts it
// only answers a DemoCluster; steps.ts runs unchanged on it. Images: the harness's podman builds them
// (stand-in bases) under `localhost/kubellama/…`, and each is imported into the node's containerd.
//
// One local cluster per host, held by the process that started it (the harness's lock file names
// it): that process tears it down on Ctrl-C or SIGTERM. `down` from another shell signals that process
// when it is a demo (state file below) and waits; after a crash it removes the leftovers itself.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IMAGES } from '../../charts/images.js';
import { nodeBinary } from '../../test/harness/local-cluster/binaries.js';
import {
  cleanUpCrashedCluster,
  type LocalCluster,
  localClusterSkipReason,
  startLocalCluster,
} from '../../test/harness/local-cluster/index.js';
import { LOCK_FILE, readLock } from '../../test/harness/local-cluster/lock.js';
import { buildLocalImages, LOCAL_REGISTRY, underLocalRegistry } from '../../test/harness/local-images.js';
import { UsageError } from './errors.js';
import { DEMO_DIR } from './kind-cluster.js';
import type { Runner } from './runner.js';
import type { DemoCluster, DemoOptions } from './steps.js';

/** The demo process that holds the local cluster (so `down` signals only a demo, never a test run). */
export const LOCAL_STATE_FILE = `${DEMO_DIR}/local-cluster.json`;

interface LocalState {
  readonly pid: number;
  readonly kubeconfig: string;
  /** Folders copyToNode made on the host (the node's filesystem is the host's). */
  readonly nodeDirs: string[];
}

export interface LocalDemoCluster extends DemoCluster {
  /** What steps.ts needs to build and name the images for this cluster. */
  readonly imageOptions: Pick<DemoOptions, 'registry' | 'imageOverrides' | 'buildImages'>;
  /** Tears the cluster down and puts the host back as it was. Idempotent. */
  stop(): Promise<void>;
}

/** Why `--local` cannot run here (UsageError hints), or none. */
export function localPrerequisites(): string[] {
  const reason = localClusterSkipReason();
  return reason
    ? [`--local needs a local cluster: ${reason} (see kind/README.md, "npm run demo -- --local")`]
    : [];
}

/** The image names the install gets on the local cluster (the same as buildLocalImages makes). */
export function localImageOverrides() {
  return { collector: underLocalRegistry(IMAGES.collector), jaeger: underLocalRegistry(IMAGES.jaeger) };
}

/** Starts the node (a dry run only prints what it would do) and answers it as a DemoCluster. */
export async function startLocalDemoCluster(runner: Runner, dryRun: boolean): Promise<LocalDemoCluster> {
  const imageOptions: LocalDemoCluster['imageOptions'] = {
    registry: LOCAL_REGISTRY,
    imageOverrides: localImageOverrides(),
    buildImages: async (keys) => {
      await buildLocalImages(keys, (line) => runner.progress(`    ${line}`));
    },
  };
  if (dryRun) {
    await runner.step('startLocalCluster() (test/harness/local-cluster)', async () => undefined, undefined);
    return {
      kubeconfig: '<local cluster kubeconfig>',
      imageOptions,
      loadImages: async (refs) => {
        await runner.step(`podman save + ctr import ${refs.join(' ')}`, async () => undefined, undefined);
      },
      copyToNode: async (file, nodeFile) => {
        await runner.step(`cp ${file} ${nodeFile}`, async () => undefined, undefined);
      },
      stop: async () => undefined,
    };
  }
  const holder = readLock();
  if (holder) {
    throw new UsageError([
      `a local cluster is already running (PID ${holder.pid}, ${LOCK_FILE}): stop it with \`npm run demo -- --local down\` (or Ctrl-C where it runs)`,
    ]);
  }
  runner.progress(
    '==> Starting a local Kubernetes node (test/harness/local-cluster: network namespace 198.18.0.0/15)',
  );
  const cluster: LocalCluster = await startLocalCluster({ log: (line) => runner.progress(`    ${line}`) });
  runner.progress(
    `==> Node ${cluster.nodeName} Ready at ${cluster.apiServerUrl} in ${(cluster.bringUpMs / 1000).toFixed(1)} s`,
  );
  // steps.ts runs `kubectl`: the one built with the node, first on PATH for this process's children.
  process.env.PATH = `${dirname(nodeBinary('kubectl'))}${delimiter}${process.env.PATH ?? ''}`;
  const state: LocalState = { pid: process.pid, kubeconfig: cluster.kubeconfigPath, nodeDirs: [] };
  const saveState = () => {
    mkdirSync(DEMO_DIR, { recursive: true });
    writeFileSync(LOCAL_STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  };
  saveState();
  let stopping: Promise<void> | undefined;
  return {
    kubeconfig: cluster.kubeconfigPath,
    imageOptions,
    loadImages: async (refs) => {
      for (const ref of refs) {
        runner.progress(`    podman save ${ref} | ctr import`);
        await cluster.loadImage(ref);
      }
    },
    copyToNode: async (file, nodeFile) => {
      const dir = dirname(nodeFile);
      // The topmost folder this makes, so the teardown removes all it made and nothing else.
      let top: string | undefined;
      for (let d = dir; !existsSync(d); d = dirname(d)) top = d;
      if (top) state.nodeDirs.push(top);
      saveState();
      mkdirSync(dir, { recursive: true });
      copyFileSync(file, nodeFile);
      // Model pods run as a non-root user: the file and its folder must be readable by all.
      chmodSync(dir, 0o755);
      chmodSync(nodeFile, 0o644);
    },
    stop: () => {
      stopping ??= (async () => {
        runner.progress('==> Tearing down the local cluster');
        const report = await cluster.stop();
        for (const dir of state.nodeDirs) rmSync(dir, { recursive: true, force: true });
        rmSync(LOCAL_STATE_FILE, { force: true });
        runner.progress(`==> Local cluster gone in ${(report.ms / 1000).toFixed(1)} s`);
      })();
      return stopping;
    },
  };
}

function readState(): LocalState | undefined {
  try {
    return JSON.parse(readFileSync(LOCAL_STATE_FILE, 'utf8')) as LocalState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm run demo -- --local down`: asks the demo process that holds the cluster to tear it down and
 * waits for its lock to go; when that process is gone, removes what it left with the harness's
 * cleanUpCrashedCluster() (the host state its lock recorded). A cluster held by anything but a demo
 * (a test run) is left alone.
 */
export async function stopLocalDemoCluster(runner: Runner): Promise<void> {
  const state = readState();
  const holder = readLock();
  if (holder && alive(holder.pid)) {
    if (state?.pid !== holder.pid) {
      throw new UsageError([
        `the local cluster is held by PID ${holder.pid}, which is not a demo (a test run?): left alone`,
      ]);
    }
    runner.progress(`==> Asking the demo (PID ${holder.pid}) to tear the local cluster down`);
    process.kill(holder.pid, 'SIGTERM');
    const deadline = Date.now() + 180_000;
    while (readLock()?.pid === holder.pid && alive(holder.pid)) {
      if (Date.now() > deadline) throw new Error(`PID ${holder.pid} still holds ${LOCK_FILE} after 3 min`);
      await sleep(500);
    }
    if (!readLock()) {
      runner.progress('==> Local cluster gone');
      return;
    }
  }
  const cleaned = await cleanUpCrashedCluster();
  for (const dir of state?.nodeDirs ?? []) rmSync(dir, { recursive: true, force: true });
  rmSync(LOCAL_STATE_FILE, { force: true });
  const done = cleaned.actions;
  runner.progress(
    cleaned.holderPid
      ? `==> Removed what a crashed local cluster (PID ${cleaned.holderPid}) left`
      : '==> Removed leftovers, if any',
  );
  runner.progress(done.length ? `    ${done.join('\n    ')}` : '    nothing was left');
}
