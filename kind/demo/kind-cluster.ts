// The only kind-specific part of the demo: create (or reuse) the `kubellama` cluster, write its
// kubeconfig, load images into its node, copy a file onto it, and delete it. Everything after
// "the cluster exists" lives in steps.ts and takes a DemoCluster, so a cluster without kind reuses it.
import type { Engine } from '../../images/build-images.js';
import type { Runner, RunOptions } from './runner.js';
import type { DemoCluster } from './steps.js';

export const KIND_CLUSTER = 'kubellama';
export const KIND_CONFIG = 'kind/cluster.yaml';
/** Where the demo keeps its files (kubeconfig, image archive, tiny model), relative to the repository root. */
export const DEMO_DIR = 'dist/demo';
/** kind's name for the node container of a one-node cluster. */
const NODE_CONTAINER = `${KIND_CLUSTER}-control-plane`;

/** kind talks to docker unless told to use podman. */
function kindEnv(engine: Engine): RunOptions {
  return engine === 'podman' ? { env: { KIND_EXPERIMENTAL_PROVIDER: 'podman' } } : {};
}

/** Creates the cluster unless it exists; answers it as a DemoCluster with its own kubeconfig file. */
export async function ensureKindCluster(runner: Runner, engine: Engine): Promise<DemoCluster> {
  const env = kindEnv(engine);
  const clusters = await runner.capture({ cmd: 'kind', args: ['get', 'clusters'] }, env);
  if (clusters.split('\n').includes(KIND_CLUSTER)) {
    runner.progress(`==> kind cluster ${KIND_CLUSTER} exists; reusing it`);
  } else {
    runner.progress(`==> Creating kind cluster ${KIND_CLUSTER}`);
    await runner.run(
      { cmd: 'kind', args: ['create', 'cluster', '--name', KIND_CLUSTER, '--config', KIND_CONFIG] },
      env,
    );
  }
  // A file of its own, so the demo never talks to whatever cluster the current context names.
  const kubeconfig = `${DEMO_DIR}/kubeconfig`;
  await runner.run(
    { cmd: 'kind', args: ['export', 'kubeconfig', '--name', KIND_CLUSTER, '--kubeconfig', kubeconfig] },
    env,
  );
  return {
    kubeconfig,
    loadImages: (images) => loadImages(runner, engine, images),
    copyToNode: async (file, nodeFile) => {
      const dir = nodeFile.slice(0, nodeFile.lastIndexOf('/')) || '/';
      await runner.run({ cmd: engine, args: ['exec', NODE_CONTAINER, 'mkdir', '-p', dir] });
      await runner.run({ cmd: engine, args: ['cp', file, `${NODE_CONTAINER}:${nodeFile}`] });
      // Model pods run as a non-root user: the file and its folders must be readable by all.
      await runner.run({ cmd: engine, args: ['exec', NODE_CONTAINER, 'chmod', '-R', 'a+rX', dir] });
    },
  };
}

async function loadImages(runner: Runner, engine: Engine, images: readonly string[]): Promise<void> {
  const env = kindEnv(engine);
  if (engine === 'docker') {
    await runner.run({ cmd: 'kind', args: ['load', 'docker-image', '--name', KIND_CLUSTER, ...images] }, env);
    return;
  }
  // kind cannot load podman's images by name: save them to an archive and load that.
  const archive = `${DEMO_DIR}/images.tar`;
  await runner.run({
    cmd: 'podman',
    args: ['save', '--multi-image-archive', '--output', archive, ...images],
  });
  await runner.run({ cmd: 'kind', args: ['load', 'image-archive', '--name', KIND_CLUSTER, archive] }, env);
}

export async function deleteKindCluster(runner: Runner, engine: Engine): Promise<void> {
  runner.progress(`==> Deleting kind cluster ${KIND_CLUSTER}`);
  await runner.run({ cmd: 'kind', args: ['delete', 'cluster', '--name', KIND_CLUSTER] }, kindEnv(engine));
}
