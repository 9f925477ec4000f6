// The LlamaModel API as the plugin uses it: read one, list them, apply one (server-side apply with
// the field manager kubectl-llama, as `kubectl apply --server-side` does), each failure turned into
// a sentence that names the model and namespace.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  GROUP,
  type LlamaModelSpec,
  type LlamaModelStatus,
  PLURAL,
  SINGULAR,
  VERSION,
} from '../operator/api/llama-model.js';
import { describeApiError, PluginError } from './errors.js';

export const FIELD_MANAGER = 'kubectl-llama';

/** A LlamaModel as read back: the status fields the plugin shows are all optional. */
export interface ModelObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly creationTimestamp?: string;
    readonly generation?: number;
    readonly uid?: string;
  };
  readonly spec: Partial<LlamaModelSpec> & Pick<LlamaModelSpec, 'model'>;
  readonly status?: LlamaModelStatus;
}

/** `llamamodel "x" in namespace "y"`: how every message names a model. */
export const modelRef = (name: string, namespace: string) =>
  `${SINGULAR} "${name}" in namespace "${namespace}"`;

function notFound(error: unknown, name: string, namespace: string): PluginError | undefined {
  const answer = error as { code?: number; body?: unknown };
  if (answer?.code !== 404) return;
  let details: { kind?: string; name?: string } = {};
  try {
    const status = typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body;
    details = (status as { details?: typeof details })?.details ?? {};
  } catch {
    // Not a Status: treated as the resource missing.
  }
  if (details.kind === 'namespaces')
    return new PluginError(`namespace "${details.name ?? namespace}" not found`);
  if (details.kind === PLURAL)
    return new PluginError(`${SINGULAR} "${name}" not found in namespace "${namespace}"`);
  // A 404 that names no object: the resource itself is not served.
  return new PluginError(
    `the API server does not serve ${PLURAL}.${GROUP}/${VERSION}: is kubellama installed in this cluster (its CRD applied)?`,
  );
}

export class LlamaModels {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async get(name: string, namespace: string): Promise<ModelObject> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      })) as ModelObject;
    } catch (error) {
      throw (
        notFound(error, name, namespace) ??
        new PluginError(describeApiError(error, modelRef(name, namespace)))
      );
    }
  }

  /** The models of a namespace, or of every namespace when `namespace` is undefined. */
  async list(namespace: string | undefined): Promise<ModelObject[]> {
    const where = namespace ? `namespace "${namespace}"` : 'all namespaces';
    try {
      const list = (
        namespace
          ? await this.api.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
              namespace,
            })
          : await this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      ) as { items: ModelObject[] };
      return list.items;
    } catch (error) {
      throw (
        notFound(error, '', namespace ?? '') ??
        new PluginError(describeApiError(error, `${PLURAL} in ${where}`))
      );
    }
  }

  /** Server-side apply of the fields `model` sets; the API server's refusal names the field. */
  async apply(model: ModelObject, options: { dryRun?: boolean } = {}): Promise<ModelObject> {
    const { name, namespace } = model.metadata;
    try {
      return (await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace,
          name,
          body: model,
          fieldManager: FIELD_MANAGER,
          // Like kubectl apply --server-side --force-conflicts: the user asked for these values.
          force: true,
          ...(options.dryRun ? { dryRun: 'All' } : {}),
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      )) as ModelObject;
    } catch (error) {
      throw (
        notFound(error, name, namespace) ??
        new PluginError(describeApiError(error, modelRef(name, namespace)))
      );
    }
  }
}
