// Credentials for model downloads, from the environment (the operator sets it from a Secret named by
// spec.model.credentials, for the pull init container only). A token goes only where it belongs:
// HF_TOKEN to the Hugging Face endpoint of hf: URIs (and to https://huggingface.co), the bearer token
// to an https:// source. Neither is ever logged, traced or written anywhere.
import { RUNTIME_ENV } from '../../charts/runtime-contract.js';

/**
 * A Hugging Face mirror for hf: URIs instead of https://huggingface.co (huggingface_hub's variable
 * of the same name). Only the user sets it, so it is not in the runtime contract.
 */
export const HF_ENDPOINT_ENV = 'HF_ENDPOINT';

export interface PullCredentials {
  /** Sent as a bearer token with hf: URIs (to the Hugging Face endpoint) and to huggingface.co URLs. */
  readonly huggingFaceToken?: string;
  /** Sent as a bearer token to an https:// source. */
  readonly bearerToken?: string;
  /** Where hf: URIs resolve. @default https://huggingface.co */
  readonly huggingFaceEndpoint?: string;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): PullCredentials {
  const value = (name: string) => env[name]?.trim() || undefined;
  return {
    huggingFaceToken: value(RUNTIME_ENV.huggingFaceToken),
    bearerToken: value(RUNTIME_ENV.modelToken),
    huggingFaceEndpoint: value(HF_ENDPOINT_ENV),
  };
}

/** The Authorization header a download of `uri` carries, if any. */
export function authorizationFor(uri: string, credentials: PullCredentials): Record<string, string> {
  const bearer = (token: string | undefined): Record<string, string> =>
    token ? { Authorization: `Bearer ${token}` } : {};
  if (/^(hf|huggingface):/i.test(uri)) return bearer(credentials.huggingFaceToken);
  if (!/^https?:\/\//i.test(uri)) return {};
  if (credentials.bearerToken) return bearer(credentials.bearerToken);
  return new URL(uri).hostname === 'huggingface.co' ? bearer(credentials.huggingFaceToken) : {};
}
