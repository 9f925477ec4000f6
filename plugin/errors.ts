// The plugin's one error type and the translation of the API server's answers into sentences a
// person can act on. Every command throws a PluginError; the CLI prints `error: <message>` on stderr
// and exits with its code (1, as kubectl does for every failure).

export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A Kubernetes `Status` (the body of every refusal). */
interface KubeStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly causes?: readonly { readonly field?: string; readonly message?: string }[] };
}

/** client-node's ApiException: an HTTP code and the body (a Status, as text or parsed). */
function statusOf(error: unknown): { code: number; status: KubeStatus } | undefined {
  if (!error || typeof error !== 'object' || !('code' in error) || typeof error.code !== 'number') return;
  const body = 'body' in error ? error.body : undefined;
  let status: KubeStatus = {};
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body) as KubeStatus;
    } catch {
      status = { message: body.trim() };
    }
  } else if (body && typeof body === 'object') status = body as KubeStatus;
  return { code: error.code, status };
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error)?.code === 404;
}

/**
 * What went wrong with a request about `what` (e.g. `llamamodel "x" in namespace "y"`), in one or
 * more lines: the API server's own message (it names the field a refusal is about), a network
 * failure with the address, or the error's message.
 */
export function describeApiError(error: unknown, what: string): string {
  const answer = statusOf(error);
  if (answer) {
    const { code, status } = answer;
    const message = status.message ?? `HTTP ${code}`;
    if (code === 401) return `the API server does not accept your credentials (401): ${message}`;
    if (code === 403) return `forbidden: ${message}`;
    if (code === 422 || code === 400) {
      // The message already lists each cause as `spec.x: Invalid value: …`; one per line reads better.
      const causes = (status.details?.causes ?? [])
        .filter((c) => c.message)
        .map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message}`);
      return causes.length > 0
        ? `the API server refused ${what}:\n${causes.join('\n')}`
        : `the API server refused ${what}: ${message}`;
    }
    return `${what}: ${message} (HTTP ${code})`;
  }
  const cause = error instanceof Error ? ((error.cause as Error | undefined) ?? error) : undefined;
  const code = cause && 'code' in cause ? String(cause.code) : '';
  if (/^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET)$/.test(code)) {
    return `cannot reach the API server: ${cause?.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs a request about `what`, turning any failure into a PluginError that says what happened. */
export async function request<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PluginError) throw error;
    throw new PluginError(describeApiError(error, what));
  }
}
