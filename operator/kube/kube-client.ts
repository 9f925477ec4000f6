// A small REST client for the Kubernetes API over node:https, authenticated by client-node's
// KubeConfig. The operator needs only a handful of verbs (get, list, watch, create, the patch types,
// update, delete) on any resource path; a raw client keeps content types and status codes explicit.
// Every request (watches included) first takes a token from the client-side rate limit.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { KubeApiError } from './errors.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';

const tracer = trace.getTracer('kubellama-operator');
const REQUEST_TIMEOUT_MS = 30_000;
const WATCH_IDLE_MS = 360_000;

export type PatchType = 'apply' | 'merge' | 'json' | 'strategic';

const CONTENT_TYPES: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
    deletionTimestamp?: string | Date;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * Told about every answered request: tests count the writes a reconcile made, metrics the calls
 * and their latency. `durationMs` is the round trip; `throttledMs` the rate-limit wait before it.
 */
export type RequestObserver = (
  method: string,
  path: string,
  status: number,
  durationMs: number,
  throttledMs: number,
) => void;

/** No client-side limit unless the caller sets one (the operator does: --kube-api-qps/-burst). */
export const UNLIMITED: RateLimit = { qps: 0, burst: 1 };

/** The resource (and subresource) of a REST path, e.g. `deployments`, `llamamodels/status`. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/… or /apis/group/version/…; then optionally namespaces/NS, then resource/name/sub.
  let rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource = '', , sub] = rest;
  return sub ? `${resource}/${sub}` : resource;
}

/** Where the API server is and how to authenticate to it. */
export interface Connection {
  /** https://HOST:PORT (no trailing slash). */
  readonly server: string;
  readonly tls: {
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    readonly rejectUnauthorized?: boolean;
  };
  /** The auth headers; asked again every minute (a pod's service account token is rotated on disk). */
  readonly headers: () => Promise<Record<string, string>>;
}

export class KubeClient {
  readonly server: string;
  private readonly connection: Connection;
  /** Keep-alive sockets for requests; watches get their own (each holds a socket for minutes). */
  private readonly agent: Agent;
  private readonly watchAgent: Agent;
  private headers: Record<string, string> = {};
  private headersAt = 0;
  private observers: RequestObserver[] = [];
  private readonly limiter: TokenBucket;

  private constructor(connection: Connection, limit: RateLimit) {
    this.connection = connection;
    this.server = connection.server.replace(/\/$/, '');
    const tls = Object.fromEntries(Object.entries(connection.tls).filter(([, v]) => v !== undefined));
    // Requests beyond maxSockets wait for a free socket: more than the workers ever need at once.
    this.agent = new Agent({ keepAlive: true, maxSockets: 64, ...tls });
    this.watchAgent = new Agent({ keepAlive: false, ...tls });
    this.limiter = new TokenBucket(limit);
  }

  static async fromConnection(connection: Connection, limit: RateLimit = UNLIMITED): Promise<KubeClient> {
    const client = new KubeClient(connection, limit);
    await client.refreshHeaders();
    return client;
  }

  /** With client-node's KubeConfig (every auth method it knows: exec plugins, OIDC, …). */
  static async fromKubeConfig(kc: KubeConfig, limit: RateLimit = UNLIMITED): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    const options = async () => {
      const o: Record<string, unknown> = { headers: {} };
      await kc.applyToHTTPSOptions(o as never);
      return o;
    };
    const tls = pick(await options(), ['ca', 'cert', 'key', 'rejectUnauthorized']);
    const headers = async () => (await options()).headers as Record<string, string>;
    return KubeClient.fromConnection({ server: cluster.server, tls, headers }, limit);
  }

  onRequest(observer: RequestObserver): () => void {
    this.observers.push(observer);
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /**
   * GET of a text answer (a pod's log, what a pod answers through the API server's proxy). `signal`
   * bounds it more tightly than the client's own idle timeout (a scrape has its own timeout).
   */
  async getText(path: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
    const full = withQuery(path, query);
    const throttledMs = await this.limiter.take();
    signal?.throwIfAborted();
    const started = performance.now();
    const response = await this.open('GET', full, undefined, undefined, false, { accept: '*/*', signal });
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    for (const observer of this.observers)
      observer('GET', path, status, performance.now() - started, throttledMs);
    if (status >= 300) throw KubeApiError.fromResponse('GET', path, status, text);
    return text;
  }

  /** GET that answers undefined for 404. */
  async getOrUndefined<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  update<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.send('DELETE', path);
  }

  patch<T>(path: string, body: unknown, type: PatchType, query: Record<string, string> = {}): Promise<T> {
    return this.send<T>('PATCH', withQuery(path, query), body, CONTENT_TYPES[type]);
  }

  /** Server-side apply under `fieldManager`, forcing ownership of the fields in `body`. */
  apply<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.patch<T>(path, body, 'apply', { fieldManager, force: 'true' });
  }

  /**
   * Opens a watch; `onEvent` gets every decoded event. Resolves with a stop function once the
   * server answered; `onEnd` is called once when the stream ends for any reason.
   */
  async watch<T>(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => void,
    onEnd: (error?: Error) => void,
  ): Promise<() => void> {
    await this.limiter.take();
    const response = await this.open(
      'GET',
      withQuery(path, { ...query, watch: 'true' }),
      undefined,
      undefined,
      true,
    );
    if ((response.statusCode ?? 0) >= 300) {
      const text = await readAll(response);
      throw KubeApiError.fromResponse('GET', path, response.statusCode ?? 0, text);
    }
    let buffer = '';
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        newline = buffer.indexOf('\n');
      }
    });
    response.on('end', () => end());
    response.on('error', (error) => end(error));
    response.on('close', () => end());
    return () => {
      response.destroy();
      end();
    };
  }

  private send<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    // A CLIENT span per API call inside a trace (a reconcile's): it shows what it read and wrote.
    // Calls outside one (lease renewals, lists) would only be noise.
    if (!trace.getActiveSpan()) return this.exchange<T>(method, path, body, contentType);
    return tracer.startActiveSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': method, 'url.path': path.split('?')[0] },
      },
      async (span) => {
        try {
          return await this.exchange<T>(method, path, body, contentType);
        } catch (error) {
          if (error instanceof KubeApiError) {
            span.setAttribute('http.response.status_code', error.statusCode);
            span.setAttribute('error.type', String(error.statusCode));
          }
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async exchange<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const throttledMs = await this.limiter.take();
    const started = performance.now();
    const response = await this.open(method, path, payload, contentType ?? 'application/json');
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    const durationMs = performance.now() - started;
    for (const observer of this.observers) observer(method, path, status, durationMs, throttledMs);
    if (status >= 300) throw KubeApiError.fromResponse(method, path, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async refreshHeaders(): Promise<void> {
    if (this.headersAt && Date.now() - this.headersAt < 60_000) return;
    this.headersAt = Date.now();
    this.headers = await this.connection.headers();
  }

  private async open(
    method: string,
    path: string,
    payload?: string,
    contentType?: string,
    stream = false,
    options: { accept?: string; signal?: AbortSignal | undefined } = {},
  ): Promise<IncomingMessage> {
    await this.refreshHeaders();
    const url = new URL(this.server + path);
    const headers: Record<string, string> = {
      ...this.headers,
      Accept: options.accept ?? 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'http:' ? httpRequest : request;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          ...(url.protocol === 'http:' ? {} : { agent: stream ? this.watchAgent : this.agent }),
          method,
          headers,
          timeout: 0,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        resolve,
      );
      req.on('error', reject);
      // A request that hangs must not hang its reconcile. A watch is idle at most until the server
      // closes it (timeoutSeconds ≤ 300 s; bookmarks come every minute): longer means a dead peer.
      const idleMs = stream ? WATCH_IDLE_MS : REQUEST_TIMEOUT_MS;
      req.setTimeout(idleMs, () => req.destroy(new Error(`${method} ${path}: no data for ${idleMs} ms`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function withQuery(path: string, query: Record<string, string>): string {
  const params = new URLSearchParams(query).toString();
  if (!params) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${params}`;
}

function pick(source: Record<string, unknown>, keys: string[]): Connection['tls'] {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
    });
    response.on('end', () => resolve(text));
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the response was complete'));
    });
  });
}
