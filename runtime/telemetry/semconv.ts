// Telemetry attribute names. GenAI names follow the OpenTelemetry GenAI semantic conventions (still
// "development", so not exported as stable constants by @opentelemetry/semantic-conventions); llama.*
// names are ours. No other file spells a telemetry name as a string literal; the names the
// collector's pipeline reads come from the shared contract (charts/telemetry-contract.ts).
import { TRACE_ATTRIBUTES } from '../../charts/telemetry-contract.js';

export const ATTR_GEN_AI_OPERATION_NAME = TRACE_ATTRIBUTES.operationName;
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' as const;
export const ATTR_GEN_AI_REQUEST_MODEL = TRACE_ATTRIBUTES.requestModel;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens' as const;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature' as const;
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p' as const;
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k' as const;
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed' as const;
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty' as const;
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty' as const;
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences' as const;
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id' as const;
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' as const;
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons' as const;
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens' as const;
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' as const;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' as const;
/** The output type the client asked for: GEN_AI_OUTPUT_TYPE_JSON (response_format json_*) or _TEXT. */
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type' as const;
export const GEN_AI_OUTPUT_TYPE_JSON = 'json' as const;
export const GEN_AI_OUTPUT_TYPE_TEXT = 'text' as const;
/** The request's tool definitions (JSON), only with content capture on (they can be large). */
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions' as const;
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats' as const;
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count' as const;

export const GEN_AI_PROVIDER_LLAMA_CPP = 'llama.cpp' as const;
export const GEN_AI_OPERATION_CHAT = 'chat' as const;
export const GEN_AI_OPERATION_TEXT_COMPLETION = 'text_completion' as const;
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings' as const;
export const GEN_AI_TOKEN_TYPE_INPUT = 'input' as const;
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output' as const;

// Request roll-ups on the operation span, in seconds, so one span answers "where did the time go".
export const ATTR_LLAMA_TIME_IN_QUEUE = 'llama.request.time_in_queue' as const;
export const ATTR_LLAMA_TIME_TO_FIRST_TOKEN = TRACE_ATTRIBUTES.timeToFirstToken;
export const ATTR_LLAMA_PREFILL_DURATION = 'llama.request.prefill_duration' as const;
export const ATTR_LLAMA_DECODE_DURATION = 'llama.request.decode_duration' as const;
export const ATTR_LLAMA_ABORTED = 'llama.request.aborted' as const;
export const ATTR_LLAMA_PROMPT_TOKENS = 'llama.prompt.tokens' as const;
export const ATTR_LLAMA_PROMPT_CACHED_TOKENS = 'llama.prompt.cached_tokens' as const;
export const ATTR_LLAMA_PROMPT_EVALUATED_TOKENS = 'llama.prompt.evaluated_tokens' as const;
export const ATTR_LLAMA_DECODE_TOKENS = 'llama.decode.tokens' as const;
// Sequences in each llama_decode that produced one of this request's tokens (llama.batch.size),
// summarised over its decode steps.
export const ATTR_LLAMA_BATCH_SIZE_MIN = 'llama.batch.size.min' as const;
export const ATTR_LLAMA_BATCH_SIZE_MEAN = 'llama.batch.size.mean' as const;
export const ATTR_LLAMA_BATCH_SIZE_MAX = 'llama.batch.size.max' as const;
export const ATTR_LLAMA_REQUEST_MIN_P = 'llama.request.min_p' as const;
export const ATTR_LLAMA_REQUEST_REPEAT_PENALTY = 'llama.request.repeat_penalty' as const;
export const ATTR_LLAMA_TRACE_DETAIL = 'llama.trace.detail' as const;
/** Tool definitions in the request (always; their content is gen_ai.tool.definitions). */
export const ATTR_LLAMA_REQUEST_TOOLS = 'llama.request.tools' as const;
/** none, auto, required or function (a named one). */
export const ATTR_LLAMA_REQUEST_TOOL_CHOICE = 'llama.request.tool_choice' as const;
/** Seconds spent building the output grammar (0 when the cache had it), and whether it did. */
export const ATTR_LLAMA_GRAMMAR_BUILD_DURATION = 'llama.grammar.build_duration' as const;
export const ATTR_LLAMA_GRAMMAR_CACHED = 'llama.grammar.cached' as const;

// Per-token timing records, batched into events (detail=token); parallel arrays, one entry per token.
export const ATTR_LLAMA_TOKENS_FIRST_INDEX = 'llama.tokens.first_index' as const;
export const ATTR_LLAMA_TOKENS_IDS = 'llama.tokens.ids' as const;
export const ATTR_LLAMA_TOKENS_DECODE_MS = 'llama.tokens.decode_ms' as const;
export const ATTR_LLAMA_TOKENS_GAP_MS = 'llama.tokens.gap_ms' as const;

// The llama.model.load span.
export const ATTR_LLAMA_MODEL_PATH = 'llama.model.path' as const;
export const ATTR_LLAMA_MODEL_FILE_SIZE = 'llama.model.file_size' as const;
export const ATTR_LLAMA_MODEL_ARCHITECTURE = 'llama.model.architecture' as const;
export const ATTR_LLAMA_MODEL_PARAMETERS = 'llama.model.parameters' as const;
export const ATTR_LLAMA_MODEL_QUANTIZATION = 'llama.model.quantization' as const;
export const ATTR_LLAMA_MODEL_TRAIN_CONTEXT_SIZE = 'llama.model.train_context_size' as const;
export const ATTR_LLAMA_CONTEXT_SIZE = 'llama.context.size' as const;
export const ATTR_LLAMA_CONTEXT_PARALLEL = 'llama.context.parallel' as const;
export const ATTR_LLAMA_GPU_LAYERS = 'llama.gpu.layers' as const;
/** The backend llama.cpp runs on: cuda, vulkan, metal or LLAMA_GPU_NONE (load span, llama.gpu.devices). */
export const ATTR_LLAMA_GPU = 'llama.gpu' as const;
/** True when a GPU prebuilt was installed and allowed, yet llama.cpp runs on the CPU. */
export const ATTR_LLAMA_GPU_FALLBACK = 'llama.gpu.fallback' as const;
export const ATTR_LLAMA_GPU_DEVICE_NAMES = 'llama.gpu.device_names' as const;
export const LLAMA_GPU_NONE = 'none' as const;
export const ATTR_LLAMA_THREADS = 'llama.threads' as const;

export const ATTR_ERROR_TYPE = 'error.type' as const;
/** `always` keeps the trace in the gateway's tail sampling (from the request's W3C baggage). */
export const ATTR_KUBELLAMA_SAMPLE = TRACE_ATTRIBUTES.sample;

// Metric names, units and descriptions: charts/metrics-contract.ts (the dashboard reads them too).

/** Bucket boundaries the GenAI conventions advise for each histogram. */
export const BUCKETS_REQUEST_DURATION = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
export const BUCKETS_TIME_TO_FIRST_TOKEN = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
export const BUCKETS_TIME_PER_OUTPUT_TOKEN = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
];
/** Sequences per llama_decode: every count up to 8, then powers of two up to 256 sequences. */
export const BUCKETS_BATCH_SIZE = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128, 256];
export const BUCKETS_TOKEN_USAGE = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
