// The sample LlamaModels in kind/samples/ as the demo reads them: which file `--model` names, the
// LlamaModel a file holds (the demo waits for it and talks to its Service), and where the tiny
// model's file must lie on the node. The YAML files are the one source of these names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND } from '../../operator/api/llama-model.js';

export const SAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'samples');

/** The namespace every sample's namespaced objects live in. */
export const DEMO_NAMESPACE = 'demo';

/** The model `npm run demo` serves unless `--model` says otherwise. */
export const DEFAULT_SAMPLE = 'gemma';

/** The sample whose GGUF file the demo generates and copies onto the node. */
export const TINY_SAMPLE = 'tiny';

export interface SampleObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: Record<string, unknown>;
}

export interface Sample {
  readonly file: string;
  readonly objects: readonly SampleObject[];
  /** The file's one LlamaModel. */
  readonly model: { readonly name: string; readonly namespace: string; readonly source: string };
}

/** The sample names kind/samples/ holds (file names without .yaml). */
export function sampleNames(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort();
}

/** `--model`: a sample name (kind/samples/NAME.yaml) or a path to a LlamaModel YAML file. */
export function sampleFile(model: string): string {
  const named = join(SAMPLES_DIR, `${model}.yaml`);
  if (/^[a-z0-9-]+$/.test(model) && existsSync(named)) return named;
  const path = resolve(model);
  if (existsSync(path)) return path;
  throw new Error(
    `--model: "${model}" is neither a sample (${sampleNames().join(', ')}) nor an existing file`,
  );
}

export function readSample(file: string): Sample {
  const objects = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as SampleObject | null)
    .filter((o): o is SampleObject => o !== null);
  const models = objects.filter((o) => o.apiVersion === API_VERSION && o.kind === KIND);
  if (models.length !== 1) {
    throw new Error(
      `--model: ${file} must hold exactly one ${KIND} (${API_VERSION}); it holds ${models.length}`,
    );
  }
  const [model] = models as [SampleObject];
  const source = (model.spec?.model as { source?: string } | undefined)?.source;
  if (!source) throw new Error(`--model: ${file}: the ${KIND} has no spec.model.source`);
  return {
    file,
    objects,
    model: { name: model.metadata.name, namespace: model.metadata.namespace ?? 'default', source },
  };
}

/**
 * Where the tiny sample's model file must be on the node: its PersistentVolume's hostPath joined
 * with the path its pvc:// source names inside the claim.
 */
export function tinyModelNodePath(sample: Sample): { dir: string; file: string } {
  const volume = sample.objects.find((o) => o.kind === 'PersistentVolume');
  const hostPath = (volume?.spec?.hostPath as { path?: string } | undefined)?.path;
  const inClaim = /^pvc:\/\/[^/]+\/(.+)$/.exec(sample.model.source)?.[1];
  if (!hostPath || !inClaim) {
    throw new Error(`${sample.file}: expected a hostPath PersistentVolume and a pvc://CLAIM/PATH source`);
  }
  const file = `${hostPath.replace(/\/+$/, '')}/${inClaim}`;
  return { dir: file.slice(0, file.lastIndexOf('/')), file };
}
