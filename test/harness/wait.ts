import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface WaitOptions {
  /** What is awaited, for the error message. */
  readonly description: string;
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** @default 100 */
  readonly intervalMs?: number;
  /** Checked on every round: throwing stops the wait at once (e.g. the server process exited). */
  readonly abortIf?: () => void;
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with the last error seen. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    options.abortIf?.();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${options.description}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** A plain GET for readiness probes and query APIs (fetch cannot take a private CA in Node 20). */
export function httpGet(
  url: string,
  options: {
    headers?: Record<string, string>;
    ca?: string | Buffer;
    /** Accept any certificate: only for the health ports of loopback servers with in-memory certs. */
    insecure?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<HttpResponse> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers: options.headers,
        ca: options.ca,
        rejectUnauthorized: !options.insecure,
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
