// Optional API key: when configured, every request must carry `Authorization: Bearer <key>` — the
// /v1 API and llama-server's /tokenize, /detokenize, /props alike, and any route added later.
// Probes and /metrics stay open (the kubelet and Prometheus carry no key), and so do the `open`
// paths (llama-server's /health, which llama-server leaves open too).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { RUNTIME_PATHS } from '../../charts/runtime-contract.js';
import { ApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function registerAuth(
  app: FastifyInstance,
  apiKey: string | undefined,
  open: readonly string[] = [],
): void {
  if (!apiKey) return;
  const unprotected = new Set([RUNTIME_PATHS.health, RUNTIME_PATHS.ready, RUNTIME_PATHS.metrics, ...open]);
  const expected = digest(apiKey);
  const challenge = { 'www-authenticate': 'Bearer' };
  app.addHook('onRequest', async (request) => {
    if (unprotected.has(request.url.split('?')[0] ?? request.url)) return;
    const header = request.headers.authorization;
    if (!header) {
      throw new ApiError(
        'invalid_api_key',
        "You didn't provide an API key: send 'Authorization: Bearer <key>'.",
        null,
        challenge,
      );
    }
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Compare digests, so the time taken says nothing about the key.
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      throw new ApiError('invalid_api_key', 'Incorrect API key provided.', null, challenge);
    }
  });
}
