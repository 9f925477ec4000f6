// Option and result types of the engine. Each default is stated where the option is declared.
import type { GbnfJsonSchema, LlamaGpuType, Token } from 'node-llama-cpp';

export interface EngineOptions {
  /** Path of a local GGUF file. */
  readonly modelPath: string;
  /** Tokens per sequence. @default the model's training context, capped at 4096 */
  readonly contextSize?: number;
  /** Sequences generating at once on the one context. @default 1 */
  readonly parallel?: number;
  /** CPU threads for llama.cpp. @default 1 */
  readonly threads?: number;
  /** Layers offloaded to a GPU: a number, `auto` or `max`. @default 'auto' */
  readonly gpuLayers?: number | 'auto' | 'max';
  /** Tokens per llama_decode batch. @default node-llama-cpp's (the context size) */
  readonly batchSize?: number;
  /** Requests that may wait for a free sequence; beyond it a request is refused. @default 16 */
  readonly maxQueue?: number;
  /** Use a GPU backend when one is found (`auto`) or never (`false`: disabled on purpose). @default 'auto' */
  readonly gpu?: 'auto' | false;
  /** Called for every llama_decode with the number of sequences in it (llamacpp.batch_size). */
  readonly onBatch?: (sequences: number) => void;
}

/** What is known about the loaded model, for /v1/models and the load span. */
export interface ModelInfo {
  readonly path: string;
  readonly fileSizeBytes: number;
  readonly architecture: string;
  readonly name: string | undefined;
  readonly parameters: number | undefined;
  readonly quantization: string | undefined;
  readonly trainContextSize: number | undefined;
  readonly contextSize: number;
  readonly parallel: number;
  readonly gpuLayers: number;
  readonly gpu: string | false;
  readonly threads: number;
  readonly loadSeconds: number;
  /** Which llama.cpp backend runs the model, and why not a GPU one. */
  readonly backend: GpuBackendReport;
}

/** A llama.cpp GPU backend node-llama-cpp ships a prebuilt binary for. */
export type GpuBackend = Exclude<LlamaGpuType, false>;

/** A GPU prebuilt package node-llama-cpp would load for its backend. */
export interface GpuPrebuilt {
  readonly backend: GpuBackend;
  /** e.g. `@node-llama-cpp/linux-x64-cuda` */
  readonly packageName: string;
}

/** What was found out about the llama.cpp backend at load; the input of gpuBackendVerdict. */
export interface GpuBackendFacts {
  /** GPU prebuilts installed at node-llama-cpp's own version (others it would not load). */
  readonly installed: readonly GpuPrebuilt[];
  /** GPU backends whose driver and libraries node-llama-cpp found: the only ones it tries. */
  readonly detected: readonly GpuBackend[];
  /** The backend llama.cpp runs on; false for the CPU. */
  readonly used: GpuBackend | false;
  /** GPU use was turned off on purpose (EngineOptions.gpu false). */
  readonly disabled: boolean;
  /** Names of the GPU devices in use; empty on the CPU. */
  readonly devices: readonly string[];
  /** Total VRAM of those devices, in bytes; 0 on the CPU. */
  readonly vramTotalBytes: number;
  /** NVIDIA_VISIBLE_DEVICES as the container runtime saw it; undefined when unset. */
  readonly nvidiaVisibleDevices: string | undefined;
}

/** Why an installed GPU prebuilt was not used. */
export type GpuFallbackReason = 'no-device-visible' | 'libraries-not-found' | 'load-failed';

export interface SkippedGpuPrebuilt extends GpuPrebuilt {
  readonly reason: GpuFallbackReason;
}

/** The start-up log line and the fallback flag, derived from the facts. */
export interface GpuBackendVerdict {
  readonly level: 'info' | 'warn';
  readonly message: string;
  /** A GPU prebuilt is installed and GPU use was not disabled, yet llama.cpp runs on the CPU. */
  readonly fallback: boolean;
  /** The installed GPU prebuilts that were not used, each with its likely reason (on fallback). */
  readonly skipped: readonly SkippedGpuPrebuilt[];
}

export interface GpuBackendReport extends GpuBackendFacts, GpuBackendVerdict {}

/** A function the assistant called earlier in the conversation, with the result it got back. */
export interface ChatFunctionCall {
  readonly name: string;
  /** The arguments, parsed from their JSON text. */
  readonly params: unknown;
  /** The tool message's content (parsed when it is JSON). */
  readonly result: unknown;
}

export interface ChatMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant';
  readonly content: string;
  /** Assistant messages only: the calls it made, in order, each with its result. */
  readonly functionCalls?: readonly ChatFunctionCall[];
}

/** A function the model may call; rendered into the prompt by the model's chat wrapper. */
export interface FunctionDefinition {
  readonly name: string;
  readonly description?: string;
  /** A JSON schema the grammar enforces (checked by the server before it gets here). */
  readonly params?: GbnfJsonSchema;
}

export type GenerationInput =
  | {
      readonly kind: 'chat';
      readonly messages: readonly ChatMessage[];
      /** Functions to render into the prompt (the chat wrapper's function syntax). */
      readonly functions?: readonly FunctionDefinition[];
    }
  | { readonly kind: 'text'; readonly prompt: string };

/** A grammar every generated token must follow. */
export type OutputConstraint =
  | { readonly kind: 'json' }
  | { readonly kind: 'json_schema'; readonly schema: GbnfJsonSchema }
  /** One call, in the chat wrapper's syntax, to one of these functions (chat input's functions). */
  | { readonly kind: 'function_call'; readonly functions: readonly string[] };

/** One generated token's log probability and, optionally, the most likely alternatives. */
export interface TokenLogprob {
  readonly token: string;
  /** The token's UTF-8 bytes (a part of a character when `token` alone is not valid UTF-8). */
  readonly bytes: readonly number[];
  readonly logprob: number;
  /** Most likely first; only tokens with a probability above 0. */
  readonly top: readonly {
    readonly token: string;
    readonly bytes: readonly number[];
    readonly logprob: number;
  }[];
}

export interface SamplingOptions {
  /** @default 1 (0 = greedy) */
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly minP?: number;
  readonly seed?: number;
  /** OpenAI's, -2..2 (llama.cpp applies positive values). */
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** llama.cpp's multiplicative penalty; 1 disables it. @default 1 */
  readonly repeatPenalty?: number;
  /** @default whatever room the context leaves */
  readonly maxTokens?: number;
  /** Up to 4 strings; the text stops before the first one that appears. */
  readonly stop?: readonly string[];
}

export type GenerationPhase = 'queue' | 'tokenize' | 'prefill' | 'decode';

/** One generated token's timing (KUBELLAMA_TRACE_DETAIL=token). */
export interface TokenTiming {
  readonly index: number;
  readonly token: Token;
  /** Seconds from asking llama.cpp for the token to having it. */
  readonly decodeSeconds: number;
  /** Seconds since the previous token was handed out (0 for the first). */
  readonly gapSeconds: number;
  /** Sequences in the llama_decode that produced the token; 0 for the first token (prefill). */
  readonly batchSize: number;
}

export interface PhaseInfo {
  readonly inputTokens?: number;
  readonly cachedTokens?: number;
  readonly outputTokens?: number;
}

/** Receives the steps of one generation; the telemetry layer turns them into spans. */
export interface GenerationObserver {
  phaseStarted?(phase: GenerationPhase): void;
  phaseEnded?(phase: GenerationPhase, info: PhaseInfo): void;
  tokenGenerated?(timing: TokenTiming): void;
}

export interface GenerationRequest {
  readonly input: GenerationInput;
  readonly sampling: SamplingOptions;
  /** A grammar the output must follow. */
  readonly constraint?: OutputConstraint;
  /** Collect each token's log probability and this many alternatives (0..20). */
  readonly logprobs?: { readonly top: number };
  /**
   * Receives the text as it is generated, stop strings already cut out, with the log probabilities
   * of the tokens it completes (when asked). Returning 'stop' ends the generation (finish 'stop').
   */
  readonly onText?: (delta: string, logprobs: readonly TokenLogprob[]) => unknown;
  readonly observer?: GenerationObserver;
  /** Aborting stops the wait or the generation and frees the sequence. */
  readonly signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length';

export interface GenerationResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  /** True when the signal stopped it early. */
  readonly aborted: boolean;
  readonly timings: GenerationTimings;
  /** Per token of `text`, when logprobs were asked for. */
  readonly logprobs?: readonly TokenLogprob[];
  /** The grammar of the constraint: build time (0 when reused from the cache). */
  readonly grammar?: { readonly buildSeconds: number; readonly cached: boolean };
}

/** Seconds spent in each step. */
export interface GenerationTimings {
  readonly queue: number;
  readonly tokenize: number;
  readonly prefill: number;
  readonly decode: number;
  /** From the request reaching the engine to the first generated token. */
  readonly timeToFirstToken: number;
}

/** Live numbers for gauges. */
export interface EngineStats {
  readonly processing: number;
  readonly deferred: number;
  /** Share of the context's KV cells in use, 0..1. */
  readonly kvCacheUsage: number;
}
