// Per-token timing records (KUBELLAMA_TRACE_DETAIL=token), kept in memory while decoding and written
// as span events at the end, in batches sized so that the span stays under its event limit however
// long the answer is.
import type { Attributes, Span } from '@opentelemetry/api';
import type { TokenTiming } from '../engine/types.js';
import {
  ATTR_LLAMA_TOKENS_DECODE_MS,
  ATTR_LLAMA_TOKENS_FIRST_INDEX,
  ATTR_LLAMA_TOKENS_GAP_MS,
  ATTR_LLAMA_TOKENS_IDS,
} from './semconv.js';
import { EVENT_TOKEN_TIMINGS } from './span-names.js';

/** Records per event at least; fewer, larger events only when the answer is long. */
export const MIN_TOKENS_PER_EVENT = 64;
/** Events the decode span keeps for itself (first_token, an exception). */
const RESERVED_EVENTS = 4;

const ms = (seconds: number) => Math.round(seconds * 1e6) / 1e3;

/** How many records go into each event for `count` tokens under `eventLimit` events. */
export function recordsPerEvent(count: number, eventLimit: number): number {
  const room = Math.max(1, eventLimit - RESERVED_EVENTS);
  return Math.max(MIN_TOKENS_PER_EVENT, Math.ceil(count / room));
}

export class TokenTimings {
  readonly #timings: TokenTiming[] = [];
  /** Wall-clock time (epoch ms) of each record, for the event timestamps. */
  readonly #at: number[] = [];

  get count(): number {
    return this.#timings.length;
  }

  add(timing: TokenTiming): void {
    this.#timings.push(timing);
    this.#at.push(performance.timeOrigin + performance.now());
  }

  /** Adds the batched events to the span; returns how many events were written. */
  writeTo(span: Span, eventLimit: number): number {
    const size = recordsPerEvent(this.#timings.length, eventLimit);
    let events = 0;
    for (let start = 0; start < this.#timings.length; start += size) {
      const batch = this.#timings.slice(start, start + size);
      const attributes: Attributes = {
        [ATTR_LLAMA_TOKENS_FIRST_INDEX]: batch[0]!.index,
        [ATTR_LLAMA_TOKENS_IDS]: batch.map((timing) => timing.token as number),
        [ATTR_LLAMA_TOKENS_DECODE_MS]: batch.map((timing) => ms(timing.decodeSeconds)),
        [ATTR_LLAMA_TOKENS_GAP_MS]: batch.map((timing) => ms(timing.gapSeconds)),
      };
      span.addEvent(EVENT_TOKEN_TIMINGS, attributes, this.#at[start + batch.length - 1]);
      events++;
    }
    return events;
  }
}
