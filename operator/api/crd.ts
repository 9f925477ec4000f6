// The CustomResourceDefinition of LlamaModel, built from the TypeBox schema (npm run crds writes it).
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { LABEL_KEYS, PART_OF } from '../../charts/workload-contract.js';
import {
  CATEGORIES,
  GROUP,
  KIND,
  LlamaModelSchema,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from './llama-model.js';
import { toOpenApi } from './schema-helpers.js';

export const CRD_NAME = `${PLURAL}.${GROUP}`;

export function llamaModelCrd(): V1CustomResourceDefinition {
  const schema = toOpenApi(LlamaModelSchema);
  const properties = schema.properties as Record<string, unknown>;
  // The API server owns metadata's schema: only `type: object` may be said about it.
  properties.metadata = { type: 'object' };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { [LABEL_KEYS.partOf]: PART_OF } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: [...SHORT_NAMES],
        categories: [...CATEGORIES],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Model', type: 'string', jsonPath: '.spec.model.source', description: 'Model source' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase' },
            {
              name: 'Ready',
              type: 'integer',
              jsonPath: '.status.readyReplicas',
              description: 'Serving pods',
            },
            {
              name: 'Replicas',
              type: 'integer',
              jsonPath: '.status.desiredReplicas',
              description: 'Desired pods',
            },
            {
              name: 'Endpoint',
              type: 'string',
              jsonPath: '.status.endpoint',
              description: 'OpenAI base URL',
              priority: 1,
            },
            {
              name: 'TOK/S',
              type: 'number',
              jsonPath: '.status.performance.tokensPerSecond',
              description: 'Tokens generated per second, all replicas (status.performance)',
              priority: 1,
            },
            {
              name: 'TTFT',
              type: 'number',
              jsonPath: '.status.performance.ttftP50Seconds',
              description: 'Median time to first token in seconds (status.performance)',
              priority: 1,
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
