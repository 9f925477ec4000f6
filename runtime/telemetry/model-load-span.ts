// The llama.model.load span: its own trace at start-up, describing what was loaded and how long it took.
import { type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { ModelInfo } from '../engine/types.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLAMA_CONTEXT_PARALLEL,
  ATTR_LLAMA_CONTEXT_SIZE,
  ATTR_LLAMA_GPU,
  ATTR_LLAMA_GPU_DEVICE_NAMES,
  ATTR_LLAMA_GPU_FALLBACK,
  ATTR_LLAMA_GPU_LAYERS,
  ATTR_LLAMA_MODEL_ARCHITECTURE,
  ATTR_LLAMA_MODEL_FILE_SIZE,
  ATTR_LLAMA_MODEL_PARAMETERS,
  ATTR_LLAMA_MODEL_PATH,
  ATTR_LLAMA_MODEL_QUANTIZATION,
  ATTR_LLAMA_MODEL_TRAIN_CONTEXT_SIZE,
  ATTR_LLAMA_THREADS,
  GEN_AI_PROVIDER_LLAMA_CPP,
  LLAMA_GPU_NONE,
} from './semconv.js';
import { SPAN_MODEL_LOAD } from './span-names.js';

export class ModelLoadSpan {
  readonly #span: Span;

  constructor(tracer: Tracer, model: string, path: string) {
    this.#span = tracer.startSpan(SPAN_MODEL_LOAD, {
      kind: SpanKind.INTERNAL,
      root: true,
      attributes: {
        [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_LLAMA_CPP,
        [ATTR_GEN_AI_REQUEST_MODEL]: model,
        [ATTR_LLAMA_MODEL_PATH]: path,
      },
    });
  }

  get span(): Span {
    return this.#span;
  }

  loaded(info: ModelInfo): void {
    const attributes = {
      [ATTR_LLAMA_MODEL_FILE_SIZE]: info.fileSizeBytes,
      [ATTR_LLAMA_MODEL_ARCHITECTURE]: info.architecture,
      [ATTR_LLAMA_MODEL_PARAMETERS]: info.parameters,
      [ATTR_LLAMA_MODEL_QUANTIZATION]: info.quantization,
      [ATTR_LLAMA_MODEL_TRAIN_CONTEXT_SIZE]: info.trainContextSize,
      [ATTR_LLAMA_CONTEXT_SIZE]: info.contextSize,
      [ATTR_LLAMA_CONTEXT_PARALLEL]: info.parallel,
      [ATTR_LLAMA_GPU_LAYERS]: info.gpuLayers,
      [ATTR_LLAMA_GPU]: info.gpu === false ? LLAMA_GPU_NONE : info.gpu,
      [ATTR_LLAMA_GPU_FALLBACK]: info.backend.fallback,
      [ATTR_LLAMA_GPU_DEVICE_NAMES]: info.backend.devices.length > 0 ? [...info.backend.devices] : undefined,
      [ATTR_LLAMA_THREADS]: info.threads,
    };
    for (const [key, value] of Object.entries(attributes))
      if (value !== undefined) this.#span.setAttribute(key, value);
    this.#span.end();
  }

  failed(error: unknown): void {
    this.#span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'Error');
    if (error instanceof Error) this.#span.recordException(error);
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    this.#span.end();
  }
}
