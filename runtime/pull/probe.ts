// One look at an http(s) model source before the downloader starts. node-llama-cpp's downloader
// (ipull) retries a 5xx, a 429 or a network error up to 150 times (about 12 minutes) and says
// nothing meanwhile, so a broken mirror looks like a slow one. The probe retries a few times with
// backoff and then fails with what the server said; `pull` exits, the kubelet restarts the init
// container with its own backoff, and the LlamaModel shows the reason in the meantime.
import { PULL_EXIT, PullError } from './errors.js';

export interface ProbeRetry {
  /** Requests in all, the first included. @default 5 */
  readonly attempts: number;
  /** Wait before the second request; doubled each time. @default 1000 */
  readonly firstDelayMs: number;
  /** The longest wait between requests (also caps a Retry-After). @default 8000 */
  readonly maxDelayMs: number;
  /** One request's time to answer with its headers. @default 30000 */
  readonly timeoutMs: number;
}

export const DEFAULT_PROBE_RETRY: ProbeRetry = {
  attempts: 5,
  firstDelayMs: 1_000,
  maxDelayMs: 8_000,
  timeoutMs: 30_000,
};

/** Errors of the certificate check: retrying cannot fix them. */
const TLS_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_|ERR_TLS_CERT_ALTNAME_INVALID)/;

interface Outcome {
  /** Undefined: the server answered with success. */
  readonly problem?: string;
  /** Worth another try (a 5xx, a 429, a network error, no answer in time). */
  readonly transient?: boolean;
  readonly retryAfterMs?: number;
}

function describeNetworkError(error: unknown): Outcome {
  if (error instanceof Error && error.name === 'TimeoutError')
    return { problem: 'no answer in time', transient: true };
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  const detail = cause?.message ?? (error as Error).message;
  if (TLS_CODES.test(code)) {
    return {
      problem: `its TLS certificate is not trusted: ${detail} (${code}); give the CA that signed it (spec.model.caBundle, or NODE_EXTRA_CA_CERTS)`,
      transient: false,
    };
  }
  return { problem: code ? `${detail} (${code})` : detail, transient: true };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** One GET (the body is not read: ipull's own size probe does the same), classified. */
export async function probeOnce(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Outcome> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.any(signals) });
  } catch (error) {
    if (signal?.aborted) throw error;
    return describeNetworkError(error);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return {};
  const problem = `it answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const transient = response.status >= 500 || response.status === 429;
  return { problem, transient, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Resolves once `url` answers with success; throws a PullError (exit code 3) naming what it
 * answered last, at once for what retrying cannot fix (4xx, an untrusted certificate), else after
 * `retry.attempts` requests with exponential backoff.
 */
export async function probeSource(
  url: string,
  headers: Record<string, string>,
  retry: ProbeRetry = DEFAULT_PROBE_RETRY,
  signal?: AbortSignal,
): Promise<void> {
  let delay = retry.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    const outcome = await probeOnce(url, headers, retry.timeoutMs, signal);
    if (outcome.problem === undefined) return;
    if (!outcome.transient || attempt >= retry.attempts) {
      const tries = attempt > 1 ? ` (${attempt} tries)` : '';
      throw new PullError(`cannot download ${url}: ${outcome.problem}${tries}`, PULL_EXIT.download);
    }
    await sleep(Math.min(outcome.retryAfterMs ?? delay, retry.maxDelayMs), signal);
    delay = Math.min(delay * 2, retry.maxDelayMs);
  }
}
