// The engine's failures every endpoint meets the same way, as API errors: a full queue (429 with
// Retry-After), a server shutting down, a request stopped by its timeout or by its client leaving.
// Each endpoint maps its own errors (a prompt or input too long) first, then calls this.
import { AbortedError } from '../engine/errors/aborted-error.js';
import { DisposedError } from '../engine/errors/disposed-error.js';
import { QueueFullError } from '../engine/errors/queue-full-error.js';
import { ApiError } from './errors.js';

/** Seconds a 429 asks the client to wait: about one short generation. */
const RETRY_AFTER_SECONDS = 1;

/**
 * The API error for one of the shared engine failures, or the error itself when it is none of
 * them. `timeoutMessage` says what a request stopped by its timeout had not got yet.
 */
export function engineApiError(error: unknown, timedOut: boolean, timeoutMessage: string): unknown {
  if (error instanceof QueueFullError) {
    return new ApiError('rate_limit_exceeded', error.message, null, {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
  if (error instanceof DisposedError)
    return new ApiError('shutting_down', 'The server is shutting down; retry elsewhere.');
  if (error instanceof AbortedError) {
    return timedOut
      ? new ApiError('request_timeout', timeoutMessage)
      : new ApiError('client_closed_request', 'The client closed the connection.');
  }
  return error;
}
