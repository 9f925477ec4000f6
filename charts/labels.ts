// The app.kubernetes.io/* labels every kubellama object carries (Kubernetes' recommended labels),
// shared by the operator's per-model workloads and the install charts so selectors always agree.

import { LABEL_KEYS, PART_OF } from './workload-contract.js';

export interface LabelProps {
  /** The application, e.g. `llama-model`, `otel-collector`. */
  readonly name: string;
  /** The instance, e.g. the LlamaModel's name. */
  readonly instance: string;
  /** The role inside the application, e.g. `server`, `gateway`. */
  readonly component?: string;
  /** The version of what runs; omitted when unknown. */
  readonly version?: string;
  /** @default 'kubellama' */
  readonly managedBy?: string;
}

/** The label set for an object's metadata and pod template. */
export function standardLabels(props: LabelProps): Record<string, string> {
  return {
    ...selectorLabels(props),
    ...(props.component ? { 'app.kubernetes.io/component': props.component } : {}),
    ...(props.version ? { 'app.kubernetes.io/version': props.version } : {}),
    [LABEL_KEYS.partOf]: PART_OF,
    'app.kubernetes.io/managed-by': props.managedBy ?? PART_OF,
  };
}

/** The immutable subset used in selectors: name and instance only (a version bump must not orphan pods). */
export function selectorLabels(props: Pick<LabelProps, 'name' | 'instance'>): Record<string, string> {
  return { [LABEL_KEYS.name]: props.name, [LABEL_KEYS.instance]: props.instance };
}
