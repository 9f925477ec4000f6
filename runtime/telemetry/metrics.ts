// The runtime's instruments (DESIGN.md, "Metrics"): GenAI histograms in seconds with the conventions'
// buckets, llama.cpp server's counters, and gauges read from the engine when collected.
import type { Attributes, Meter } from '@opentelemetry/api';
import type { ModelInfo } from '../engine/types.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_LLAMA_GPU,
  ATTR_LLAMA_GPU_FALLBACK,
  BUCKETS_BATCH_SIZE,
  BUCKETS_REQUEST_DURATION,
  BUCKETS_TIME_PER_OUTPUT_TOKEN,
  BUCKETS_TIME_TO_FIRST_TOKEN,
  BUCKETS_TOKEN_USAGE,
  GEN_AI_PROVIDER_LLAMA_CPP,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
  LLAMA_GPU_NONE,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
  METRIC_GEN_AI_SERVER_TOKEN_USAGE,
  METRIC_LLAMA_GPU_DEVICES,
  METRIC_LLAMA_MEMORY_RAM,
  METRIC_LLAMA_MEMORY_VRAM,
  METRIC_LLAMA_MODEL_LOAD_DURATION,
  METRIC_LLAMACPP_BATCH_SIZE,
  METRIC_LLAMACPP_KV_CACHE_USAGE,
  METRIC_LLAMACPP_PROMPT_SECONDS,
  METRIC_LLAMACPP_PROMPT_TOKENS,
  METRIC_LLAMACPP_REQUESTS_DEFERRED,
  METRIC_LLAMACPP_REQUESTS_PROCESSING,
  METRIC_LLAMACPP_TOKENS_PREDICTED,
  METRIC_LLAMACPP_TOKENS_PREDICTED_SECONDS,
} from './semconv.js';

/** What the gauges read when metrics are collected. */
export interface GaugeSource {
  stats(): { processing: number; deferred: number; kvCacheUsage: number };
  memory(): Promise<{ ram: number; vram: number }>;
}

/** One finished request, as the instruments need it. */
export interface RequestMeasurement {
  readonly operation: string;
  readonly model: string;
  readonly durationSeconds: number;
  /** Absent when the request failed before producing usage. */
  readonly usage?: {
    readonly inputTokens: number;
    readonly evaluatedInputTokens: number;
    readonly outputTokens: number;
    readonly prefillSeconds: number;
    readonly decodeSeconds: number;
    readonly timeToFirstTokenSeconds: number;
  };
  readonly errorType?: string;
}

export class RuntimeMetrics {
  readonly #requestDuration;
  readonly #timeToFirstToken;
  readonly #timePerOutputToken;
  readonly #tokenUsage;
  readonly #promptTokens;
  readonly #promptSeconds;
  readonly #tokensPredicted;
  readonly #tokensPredictedSeconds;
  readonly #batchSize;
  #loaded: ModelInfo | undefined;

  constructor(meter: Meter, source: GaugeSource | undefined) {
    this.#requestDuration = meter.createHistogram(METRIC_GEN_AI_SERVER_REQUEST_DURATION, {
      unit: 's',
      description: 'Time to serve a GenAI request',
      advice: { explicitBucketBoundaries: BUCKETS_REQUEST_DURATION },
    });
    this.#timeToFirstToken = meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN, {
      unit: 's',
      description: 'Time from the request to the first generated token, queueing included',
      advice: { explicitBucketBoundaries: BUCKETS_TIME_TO_FIRST_TOKEN },
    });
    this.#timePerOutputToken = meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN, {
      unit: 's',
      description: 'Decode time per output token after the first',
      advice: { explicitBucketBoundaries: BUCKETS_TIME_PER_OUTPUT_TOKEN },
    });
    this.#tokenUsage = meter.createHistogram(METRIC_GEN_AI_SERVER_TOKEN_USAGE, {
      unit: '{token}',
      description: 'Tokens per request, by gen_ai.token.type',
      advice: { explicitBucketBoundaries: BUCKETS_TOKEN_USAGE },
    });
    this.#promptTokens = meter.createCounter(METRIC_LLAMACPP_PROMPT_TOKENS, {
      unit: '{token}',
      description: 'Prompt tokens evaluated (cached prefix tokens excluded)',
    });
    this.#promptSeconds = meter.createCounter(METRIC_LLAMACPP_PROMPT_SECONDS, {
      unit: 's',
      description: 'Seconds spent evaluating prompts',
    });
    this.#tokensPredicted = meter.createCounter(METRIC_LLAMACPP_TOKENS_PREDICTED, {
      unit: '{token}',
      description: 'Tokens generated',
    });
    this.#tokensPredictedSeconds = meter.createCounter(METRIC_LLAMACPP_TOKENS_PREDICTED_SECONDS, {
      unit: 's',
      description: 'Seconds spent generating tokens',
    });
    this.#batchSize = meter.createHistogram(METRIC_LLAMACPP_BATCH_SIZE, {
      unit: '{sequence}',
      description: 'Sequences in each llama_decode (llama-server: n_busy_slots_per_decode = sum / count)',
      advice: { explicitBucketBoundaries: BUCKETS_BATCH_SIZE },
    });
    meter
      .createObservableGauge(METRIC_LLAMA_MODEL_LOAD_DURATION, {
        unit: 's',
        description: 'Time the model took to load',
      })
      .addCallback((result) => {
        if (this.#loaded) result.observe(this.#loaded.loadSeconds);
      });
    meter
      .createObservableGauge(METRIC_LLAMA_GPU_DEVICES, {
        unit: '{device}',
        description:
          'GPU devices llama.cpp runs on (0 on the CPU), by backend and whether it fell back to the CPU',
      })
      .addCallback((result) => {
        const backend = this.#loaded?.backend;
        if (!backend) return;
        result.observe(backend.used === false ? 0 : backend.devices.length, {
          [ATTR_LLAMA_GPU]: backend.used === false ? LLAMA_GPU_NONE : backend.used,
          [ATTR_LLAMA_GPU_FALLBACK]: backend.fallback,
        });
      });
    if (!source) return;
    meter
      .createObservableGauge(METRIC_LLAMACPP_REQUESTS_PROCESSING, {
        unit: '{request}',
        description: 'Requests holding a sequence',
      })
      .addCallback((result) => result.observe(source.stats().processing));
    meter
      .createObservableGauge(METRIC_LLAMACPP_REQUESTS_DEFERRED, {
        unit: '{request}',
        description: 'Requests waiting for a sequence',
      })
      .addCallback((result) => result.observe(source.stats().deferred));
    meter
      .createObservableGauge(METRIC_LLAMACPP_KV_CACHE_USAGE, {
        unit: '1',
        description: 'Share of KV cache cells in use',
      })
      .addCallback((result) => result.observe(source.stats().kvCacheUsage));
    const ram = meter.createObservableGauge(METRIC_LLAMA_MEMORY_RAM, {
      unit: 'By',
      description: 'Resident memory of the runtime process (what counts against the pod limit)',
    });
    const vram = meter.createObservableGauge(METRIC_LLAMA_MEMORY_VRAM, {
      unit: 'By',
      description: 'VRAM in use, from node-llama-cpp',
    });
    meter.addBatchObservableCallback(
      async (result) => {
        const memory = await source.memory();
        result.observe(ram, memory.ram);
        result.observe(vram, memory.vram);
      },
      [ram, vram],
    );
  }

  /** Starts the load-time and GPU gauges. */
  modelLoaded(info: ModelInfo): void {
    this.#loaded = info;
  }

  /** One llama_decode ran with this many sequences in it. */
  batchDecoded(sequences: number): void {
    this.#batchSize.record(sequences);
  }

  record(measurement: RequestMeasurement): void {
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: measurement.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_LLAMA_CPP,
      [ATTR_GEN_AI_REQUEST_MODEL]: measurement.model,
    };
    if (measurement.errorType) attributes[ATTR_ERROR_TYPE] = measurement.errorType;
    else attributes[ATTR_GEN_AI_RESPONSE_MODEL] = measurement.model;
    this.#requestDuration.record(measurement.durationSeconds, attributes);
    const usage = measurement.usage;
    if (!usage) return;
    this.#tokenUsage.record(usage.inputTokens, {
      ...attributes,
      [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT,
    });
    this.#tokenUsage.record(usage.outputTokens, {
      ...attributes,
      [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT,
    });
    this.#promptTokens.add(usage.evaluatedInputTokens);
    this.#promptSeconds.add(usage.prefillSeconds);
    this.#tokensPredicted.add(usage.outputTokens);
    this.#tokensPredictedSeconds.add(usage.decodeSeconds);
    if (usage.outputTokens > 0) this.#timeToFirstToken.record(usage.timeToFirstTokenSeconds, attributes);
    if (usage.outputTokens > 1) {
      this.#timePerOutputToken.record(usage.decodeSeconds / (usage.outputTokens - 1), attributes);
    }
  }
}
