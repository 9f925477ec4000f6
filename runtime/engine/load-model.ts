// Loads llama.cpp, the model and one context with `parallel` sequences, and describes what was
// loaded (for the llama.model.load span, /v1/models and the metrics).
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type BatchingOptions,
  GgufFileType,
  getLlama,
  type Llama,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
} from 'node-llama-cpp';
import { gpuBackendReport } from './gpu-backend.js';
import type { EngineOptions, ModelInfo } from './types.js';

/** Used when the model was trained on more: a big context costs memory for every sequence. */
const DEFAULT_MAX_CONTEXT = 4096;

export interface LoadedModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly info: ModelInfo;
}

function parameterCount(model: LlamaModel): number | undefined {
  const tensors = model.fileInfo.tensorInfo;
  if (!tensors) return undefined;
  return tensors.reduce(
    (sum, tensor) => sum + tensor.dimensions.reduce<number>((n, d) => n * Number(d), 1),
    0,
  );
}

function quantization(model: LlamaModel): string | undefined {
  const fileType = model.fileInfo.metadata.general.file_type;
  return fileType === undefined ? undefined : (GgufFileType[fileType] ?? String(fileType));
}

/** `batching`: how node-llama-cpp groups the sequences' evaluations into each llama_decode. */
export async function loadModel(options: EngineOptions, batching?: BatchingOptions): Promise<LoadedModel> {
  const started = performance.now();
  const threads = options.threads ?? 1;
  const parallel = options.parallel ?? 1;
  const gpu = options.gpu ?? 'auto';
  const llama = await getLlama({
    gpu,
    // The prebuilt binaries only: a pod must never try to compile llama.cpp.
    build: 'never',
    maxThreads: threads,
    logLevel: LlamaLogLevel.warn,
  });
  try {
    const backend = await gpuBackendReport(llama, gpu === false);
    const model = await llama.loadModel({
      modelPath: options.modelPath,
      gpuLayers: options.gpuLayers ?? 'auto',
    });
    const contextSize = options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT);
    const context = await model.createContext({
      contextSize,
      sequences: parallel,
      threads,
      batchSize: options.batchSize,
      batching,
    });
    const info: ModelInfo = {
      path: options.modelPath,
      fileSizeBytes: (await stat(options.modelPath)).size,
      architecture: String(model.fileInfo.metadata.general.architecture),
      name: model.fileInfo.metadata.general.name ?? basename(options.modelPath),
      parameters: parameterCount(model),
      quantization: quantization(model),
      trainContextSize: model.trainContextSize,
      contextSize: context.contextSize,
      parallel,
      gpuLayers: model.gpuLayers,
      gpu: llama.gpu,
      threads,
      loadSeconds: (performance.now() - started) / 1000,
      backend,
    };
    return { llama, model, context, info };
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}
