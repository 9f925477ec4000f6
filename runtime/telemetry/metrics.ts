// The runtime's instruments, each from the one table of charts/metrics-contract.ts: GenAI histograms
// in seconds with the conventions' buckets, llama.cpp server's counters, and gauges read from the
// engine when collected.
import type { Attributes, Meter } from '@opentelemetry/api';
import { RUNTIME_METRICS, type RuntimeMetric } from '../../charts/metrics-contract.js';
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
  /** An embeddings request: its input tokens, counted as input usage (there is no output). */
  readonly embeddedTokens?: number;
  readonly errorType?: string;
}

// Every instrument takes its name, unit and description from the one table (charts/metrics-contract.ts).
const histogram = (meter: Meter, m: RuntimeMetric, buckets: number[]) =>
  meter.createHistogram(m.otelName, {
    unit: m.unit,
    description: m.description,
    advice: { explicitBucketBoundaries: buckets },
  });
const counter = (meter: Meter, m: RuntimeMetric) =>
  meter.createCounter(m.otelName, { unit: m.unit, description: m.description });
const gauge = (meter: Meter, m: RuntimeMetric) =>
  meter.createObservableGauge(m.otelName, { unit: m.unit, description: m.description });

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
    this.#requestDuration = histogram(meter, RUNTIME_METRICS.requestDuration, BUCKETS_REQUEST_DURATION);
    this.#timeToFirstToken = histogram(meter, RUNTIME_METRICS.timeToFirstToken, BUCKETS_TIME_TO_FIRST_TOKEN);
    this.#timePerOutputToken = histogram(
      meter,
      RUNTIME_METRICS.timePerOutputToken,
      BUCKETS_TIME_PER_OUTPUT_TOKEN,
    );
    this.#tokenUsage = histogram(meter, RUNTIME_METRICS.tokenUsage, BUCKETS_TOKEN_USAGE);
    this.#promptTokens = counter(meter, RUNTIME_METRICS.promptTokens);
    this.#promptSeconds = counter(meter, RUNTIME_METRICS.promptSeconds);
    this.#tokensPredicted = counter(meter, RUNTIME_METRICS.tokensPredicted);
    this.#tokensPredictedSeconds = counter(meter, RUNTIME_METRICS.tokensPredictedSeconds);
    this.#batchSize = histogram(meter, RUNTIME_METRICS.batchSize, BUCKETS_BATCH_SIZE);
    gauge(meter, RUNTIME_METRICS.modelLoadDuration).addCallback((result) => {
      if (this.#loaded) result.observe(this.#loaded.loadSeconds);
    });
    gauge(meter, RUNTIME_METRICS.gpuDevices).addCallback((result) => {
      const backend = this.#loaded?.backend;
      if (!backend) return;
      result.observe(backend.used === false ? 0 : backend.devices.length, {
        [ATTR_LLAMA_GPU]: backend.used === false ? LLAMA_GPU_NONE : backend.used,
        [ATTR_LLAMA_GPU_FALLBACK]: backend.fallback,
      });
    });
    if (!source) return;
    gauge(meter, RUNTIME_METRICS.requestsProcessing).addCallback((result) =>
      result.observe(source.stats().processing),
    );
    gauge(meter, RUNTIME_METRICS.requestsDeferred).addCallback((result) =>
      result.observe(source.stats().deferred),
    );
    gauge(meter, RUNTIME_METRICS.requestsLoad).addCallback((result) => {
      const { processing, deferred } = source.stats();
      result.observe(processing + deferred);
    });
    gauge(meter, RUNTIME_METRICS.kvCacheUsage).addCallback((result) =>
      result.observe(source.stats().kvCacheUsage),
    );
    const ram = gauge(meter, RUNTIME_METRICS.ramUsage);
    const vram = gauge(meter, RUNTIME_METRICS.vramUsage);
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
    if (measurement.embeddedTokens !== undefined) {
      this.#tokenUsage.record(measurement.embeddedTokens, {
        ...attributes,
        [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT,
      });
    }
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
