// The names a LlamaModel's workload (charts/llama-model-workload.ts renders it) shares with the code
// that finds and reads it back: the operator's informers and status, the collector's k8s_attributes
// labels and the demo's wait. Renaming one here renames it on every side.

/**
 * The recommended label keys that select kubellama objects (charts/labels.ts sets these and the
 * others on every object): the operator's informers, the collector and `kubectl -l` filter on them.
 */
export const LABEL_KEYS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
} as const;

/**
 * Serving pods of a model that does not say: the CRD's default for spec.replicas, and the value
 * spec.replicas keeps while spec.autoscaling decides the count.
 */
export const DEFAULT_REPLICAS = 1;

/** The value of app.kubernetes.io/part-of (and managed-by) on every kubellama object. */
export const PART_OF = 'kubellama';

/** app.kubernetes.io/name of every object of a model; app.kubernetes.io/instance is the model's name. */
export const LLAMA_MODEL_APP = 'llama-model';

/** The name of the runtime's one port on the pod and the Service (probes and monitors use it). */
export const WORKLOAD_PORT_NAME = 'http';

/** The containers of a model's pod. */
export const WORKLOAD_CONTAINERS = {
  /** `kubellama-runtime serve`. */
  runtime: 'runtime',
  /** The init container `kubellama-runtime pull` (only for sources that are downloaded). */
  pull: 'pull',
} as const;
