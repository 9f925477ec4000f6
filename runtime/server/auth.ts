// Optional API key: when configured, every /v1 request must carry `Authorization: Bearer <key>`.
// Probes and /metrics stay open (the kubelet and Prometheus carry no key).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { RUNTIME_PATHS } from '../../charts/runtime-contract.js';
import { ApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function registerAuth(app: FastifyInstance, apiKey: string | undefined): void {
  if (!apiKey) return;
  const expected = digest(apiKey);
  const challenge = { 'www-authenticate': 'Bearer' };
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith(`${RUNTIME_PATHS.openAiBase}/`)) return;
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
