// The LlamaModel `kubectl llama run` applies: only the fields the user gave (the CRD's defaults fill
// the rest, and server-side apply makes kubectl-llama the owner of just these).
import { API_VERSION, KIND } from '../operator/api/llama-model.js';
import type { ModelObject } from './llama-models.js';

export interface RunFlags {
  readonly model: string;
  readonly sha256?: string;
  readonly gpu?: number;
  readonly replicas?: number;
  readonly parallel?: number;
  readonly contextSize?: number;
}

export function modelObject(name: string, namespace: string, flags: RunFlags): ModelObject {
  const runtime = {
    ...(flags.parallel === undefined ? {} : { parallel: flags.parallel }),
    ...(flags.contextSize === undefined ? {} : { contextSize: flags.contextSize }),
  };
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: {
      model: { source: flags.model, ...(flags.sha256 ? { sha256: flags.sha256 } : {}) },
      ...(flags.replicas === undefined ? {} : { replicas: flags.replicas }),
      ...(flags.gpu === undefined ? {} : { gpu: { count: flags.gpu } as ModelObject['spec']['gpu'] }),
      ...(Object.keys(runtime).length > 0 ? { runtime: runtime as ModelObject['spec']['runtime'] } : {}),
    },
  };
}
