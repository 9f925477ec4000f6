// The contract between the operator (which renders pods) and kubellama-runtime (which runs in
// them): command, port, paths and the environment variables the runtime reads. Both sides import
// these names from here, so they cannot drift apart. (operator/ and runtime/ never import each other.)

/** The runtime's single HTTP port (OpenAI API, probes and /metrics). */
export const RUNTIME_PORT = 8080;

export const RUNTIME_PATHS = {
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
  openAiBase: '/v1',
} as const;

/**
 * The W3C Trace Context response header (`00-<trace-id>-<span-id>-<flags>`) the runtime sets on every
 * answer, so a client learns the trace id of its request (the demo and `kubectl llama chat` print it).
 */
export const TRACERESPONSE_HEADER = 'traceresponse';

/** Where the init container puts the model and the server reads it from. */
export const MODEL_DIR = '/models';

/**
 * Where a container's last words go: the kubelet reads the file when the container exits and shows
 * it as the termination message (`kubectl describe pod`, the pod's status), which the operator puts
 * in the LlamaModel's conditions. The pod spec names it (terminationMessagePath), the runtime writes it.
 */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** `kubellama-runtime <command>`: the subcommands a model's pod runs. */
export const RUNTIME_COMMANDS = { serve: 'serve', pull: 'pull' } as const;

/**
 * Environment variables `kubellama-runtime serve` reads that the operator sets (each also has a
 * flag; the flag wins). The ones only users set (API key, queue, timeout, batch size) are the
 * runtime's own: runtime/config.ts, SERVE_ENV. Telemetry is configured by the standard OTEL_* ones.
 */
export const RUNTIME_ENV = {
  /** Model path or URI (hf:…, https://….gguf, file path). */
  model: 'KUBELLAMA_MODEL',
  /**
   * The folder `pull --dir` downloaded a URI's model into, where `serve` finds it again
   * (set by the operator to MODEL_DIR when KUBELLAMA_MODEL is a URI).
   */
  modelDir: 'KUBELLAMA_MODEL_DIR',
  /** Name clients use in `model`; default: the file name without .gguf. */
  modelAlias: 'KUBELLAMA_MODEL_ALIAS',
  host: 'KUBELLAMA_HOST',
  port: 'KUBELLAMA_PORT',
  contextSize: 'KUBELLAMA_CONTEXT_SIZE',
  parallel: 'KUBELLAMA_PARALLEL',
  /** A number, or `auto` (the container's CPU quota). */
  threads: 'KUBELLAMA_THREADS',
  /** A number, `auto` or `max`. */
  gpuLayers: 'KUBELLAMA_GPU_LAYERS',
  /** `request` | `token`. */
  traceDetail: 'KUBELLAMA_TRACE_DETAIL',
  /** Expected sha256 of the model file (pull verifies it). */
  modelSha256: 'KUBELLAMA_MODEL_SHA256',
  /**
   * The model cache's size limit in bytes (spec.model.cache.size), set in the pull init container
   * only: pull refuses a model that cannot fit before downloading it.
   */
  modelCacheBytes: 'KUBELLAMA_MODEL_CACHE_BYTES',
  /**
   * Download credentials, set from spec.model.credentials' Secret in the pull init container only:
   * the Hugging Face token (the variable huggingface_hub and llama.cpp read) for hf: sources, and a
   * bearer token for https:// ones.
   */
  huggingFaceToken: 'HF_TOKEN',
  modelToken: 'KUBELLAMA_MODEL_TOKEN',
  /** The OTel GenAI switch for prompt/completion content in telemetry. */
  captureContent: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
} as const;

export type TraceDetail = 'request' | 'token';
