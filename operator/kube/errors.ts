// Errors the controller runtime tells apart: API errors carry the HTTP status and the Status
// reason; a TerminalError is logged and not retried (controller-runtime's reconcile.TerminalError).

export class KubeApiError extends Error {
  readonly statusCode: number;
  /** The Status object's reason, e.g. NotFound, Conflict, Invalid, Expired. */
  readonly reason: string;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, statusCode: number, reason: string, message: string) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.method = method;
    this.path = path;
    this.statusCode = statusCode;
    this.reason = reason;
  }

  static fromResponse(method: string, path: string, statusCode: number, body: string): KubeApiError {
    try {
      const status = JSON.parse(body) as { reason?: string; message?: string };
      return new KubeApiError(method, path, statusCode, status.reason ?? 'Unknown', status.message ?? body);
    } catch {
      return new KubeApiError(method, path, statusCode, 'Unknown', body.slice(0, 500));
    }
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.statusCode === 404;
}

/**
 * The API server refused the object and always will: 422 Invalid, or server-side apply's 500 "failed
 * to create typed patch object" for a field the type does not declare (e.g. inside a LlamaModel's
 * opaque affinity) — found by fuzzing: it was retried forever as a transient error.
 */
export function isInvalid(error: unknown): boolean {
  return (
    error instanceof KubeApiError &&
    (error.statusCode === 422 ||
      (error.statusCode === 500 && error.message.includes('failed to create typed patch object')))
  );
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.statusCode === 409;
}

/** An error a retry cannot fix (bad input); the work queue forgets the key instead of backing off. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}
