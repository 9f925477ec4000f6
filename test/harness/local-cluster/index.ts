// A real single-node Kubernetes for end-to-end tests: startLocalCluster() and what a test needs to
// check that the host is left as it was. Needs root; see cluster.ts.
export {
  cleanUpCrashedCluster,
  type LocalCluster,
  type LocalClusterOptions,
  localClusterSkipReason,
  startLocalCluster,
  type TeardownReport,
} from './cluster.js';
export { type HostState, hostStateSnapshot, withoutPodmanNetworks } from './host-state.js';
export { CLUSTER_LOCK_WAIT_MS, LOCK_FILE } from './lock.js';
export { NODE_NETWORK } from './network.js';
export { ensurePauseImage, imageArchive } from './node-images.js';
