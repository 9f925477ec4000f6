// What both generation endpoints share: the model check and the body → sampling options mapping.
import type { SamplingOptions } from '../../engine/types.js';
import type { AppContext } from '../app-context.js';
import { ApiError } from '../errors.js';

interface SamplingFields {
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repeat_penalty?: number | null;
  stop?: string | string[] | null;
}

export function checkModel(model: string, context: AppContext): void {
  if (model !== context.config.modelAlias) {
    throw new ApiError(
      'model_not_found',
      `The model '${model}' does not exist; this server serves '${context.config.modelAlias}'.`,
      'model',
    );
  }
}

const opt = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

export function samplingOf(
  body: SamplingFields,
  maxTokensOverride?: number,
  defaultMaxTokens?: number,
): SamplingOptions {
  const stop = opt(body.stop);
  return {
    maxTokens: maxTokensOverride ?? opt(body.max_tokens) ?? defaultMaxTokens,
    temperature: opt(body.temperature),
    topP: opt(body.top_p),
    topK: opt(body.top_k),
    minP: opt(body.min_p),
    seed: opt(body.seed),
    presencePenalty: opt(body.presence_penalty),
    frequencyPenalty: opt(body.frequency_penalty),
    repeatPenalty: opt(body.repeat_penalty),
    stop: stop === undefined ? undefined : typeof stop === 'string' ? [stop] : stop,
  };
}
